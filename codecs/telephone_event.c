/* RFC 4733 telephone-event payloads: parse and build event blocks, map DTMF keys. */
#include <limits.h>
#include <libavutil/error.h>
#include "codecs/telephone_event.h"

static const char dtmf_keys[] = "0123456789*#ABCD";

#define DTMF_KEY_COUNT 16
#define DTMF_END 0x80
#define DTMF_VOLUME_MASK 0x3f

int dtmf_event_parse(struct dtmf_event *out, const uint8_t *payload, size_t len)
{
    if (!out || !payload || !len || len % DTMF_EVENT_SIZE)
        return AVERROR_INVALIDDATA;
    if (len / DTMF_EVENT_SIZE > INT_MAX)
        return AVERROR_INVALIDDATA;
    out->event = payload[0];
    out->end = !!(payload[1] & DTMF_END);    /* the R bit beside it is ignored */
    out->volume = payload[1] & DTMF_VOLUME_MASK;
    out->duration = payload[2] << 8 | payload[3];
    return (int)(len / DTMF_EVENT_SIZE);
}

int dtmf_event_build(uint8_t *buf, size_t cap, const struct dtmf_event *ev)
{
    if (!buf || !ev)
        return AVERROR(EINVAL);
    if (ev->event < 0 || ev->event > 255 || ev->volume < 0 || ev->volume > DTMF_VOLUME_MASK ||
        ev->duration < 0 || ev->duration > 0xffff)
        return AVERROR(EINVAL);
    if (cap < DTMF_EVENT_SIZE)
        return AVERROR(ENOSPC);
    buf[0] = (uint8_t)ev->event;
    buf[1] = (uint8_t)((ev->end ? DTMF_END : 0) | ev->volume);
    buf[2] = (uint8_t)(ev->duration >> 8);
    buf[3] = (uint8_t)ev->duration;
    return DTMF_EVENT_SIZE;
}

char dtmf_event_char(int event)
{
    return event >= 0 && event < DTMF_KEY_COUNT ? dtmf_keys[event] : 0;
}

int dtmf_char_event(char c)
{
    if (c >= 'a' && c <= 'd')
        c = (char)(c - 'a' + 'A');
    for (int i = 0; i < DTMF_KEY_COUNT; i++)
        if (dtmf_keys[i] == c && c)
            return i;
    return -1;
}
