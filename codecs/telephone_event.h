/* RFC 4733 telephone-event payloads (DTMF digits sent as RTP events): parse, build,
 * and the key each event code stands for. Knows no socket. */
#ifndef TESSERA_TELEPHONE_EVENT_H
#define TESSERA_TELEPHONE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define DTMF_SDP_NAME "telephone-event"
#define DTMF_DEFAULT_FMTP "0-15"         /* the 16 DTMF keys */
#define DTMF_EVENT_SIZE 4

/* One event block: event code (0-255; 0-15 are DTMF keys), end bit, volume in
 * -dBm0 (0-63) and duration in RTP timestamp units (0-65535). */
struct dtmf_event {
    int event;
    int end;
    int volume;
    int duration;
};

/* Parses a payload of one or more 4-byte event blocks (payload borrowed) into *out,
 * the first block. Returns the number of blocks, or AVERROR_INVALIDDATA when the
 * payload is empty or not a whole number of blocks (*out then untouched). */
int dtmf_event_parse(struct dtmf_event *out, const uint8_t *payload, size_t len);

/* Writes ev as one 4-byte block into buf. Returns DTMF_EVENT_SIZE, AVERROR(EINVAL)
 * when a field is out of range, or AVERROR(ENOSPC) when cap is too small. */
int dtmf_event_build(uint8_t *buf, size_t cap, const struct dtmf_event *ev);

/* The key of a DTMF event code: '0'-'9', '*', '#', 'A'-'D'; 0 for other codes. */
char dtmf_event_char(int event);

/* The event code of a DTMF key (as above, letters case-insensitive); -1 when c
 * is no key. */
int dtmf_char_event(char c);

#endif
