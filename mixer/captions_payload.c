/* WebVTT cue text: voice tags to speakers, other tags stripped, character references
 * decoded, output forced to valid UTF-8. */
#include <stdlib.h>
#include <string.h>
#include <libavutil/error.h>
#include "mixer/captions.h"

/* Output cursor; the buffer is sized for the worst case (3 bytes per input byte). */
struct text_out {
    char *buf;
    size_t len;
};

static void put_bytes(struct text_out *o, const char *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_codepoint(struct text_out *o, unsigned c)
{
    char *p = o->buf + o->len;
    if (c == 0 || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        c = 0xfffd;
    if (c < 0x80) {
        p[0] = (char)c;
        o->len += 1;
    } else if (c < 0x800) {
        p[0] = (char)(0xc0 | c >> 6);
        p[1] = (char)(0x80 | (c & 0x3f));
        o->len += 2;
    } else if (c < 0x10000) {
        p[0] = (char)(0xe0 | c >> 12);
        p[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        p[2] = (char)(0x80 | (c & 0x3f));
        o->len += 3;
    } else {
        p[0] = (char)(0xf0 | c >> 18);
        p[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        p[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        p[3] = (char)(0x80 | (c & 0x3f));
        o->len += 4;
    }
}

/* Length of the valid UTF-8 sequence at s (not NUL), or 0 when it is ill-formed. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (s[0] >= 0x01 && s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        if (s[0] == 0xe0)
            lo = 0xa0;                  /* overlong */
        else if (s[0] == 0xed)
            hi = 0x9f;                  /* surrogates */
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        if (s[0] == 0xf0)
            lo = 0x90;
        else if (s[0] == 0xf4)
            hi = 0x8f;                  /* beyond U+10FFFF */
    } else
        return 0;
    if (len > n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* Copies text verbatim where valid, U+FFFD per ill-formed byte. Returns bytes used. */
static size_t put_text_char(struct text_out *o, const char *s, size_t n)
{
    size_t len = utf8_valid_len((const unsigned char *)s, n);
    if (!len) {
        put_codepoint(o, 0xfffd);
        return 1;
    }
    put_bytes(o, s, len);
    return len;
}

static const struct {
    const char *name;
    unsigned codepoint;
} named_refs[] = {
    { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
    { "nbsp", 0xa0 }, { "lrm", 0x200e }, { "rlm", 0x200f },
};

/* Decodes the reference at s ('&' ... ';') into o. Returns the bytes consumed, or 0
 * when s holds no known reference (the '&' is then literal text). */
static size_t put_char_ref(struct text_out *o, const char *s, size_t n)
{
    const char *semi = memchr(s, ';', n < 12 ? n : 12);
    if (!semi || semi - s < 2)
        return 0;
    size_t len = (size_t)(semi - s) + 1;
    if (s[1] == '#') {
        int hex = s[2] == 'x' || s[2] == 'X';
        const char *digits = s + 2 + hex;
        unsigned long c = 0;
        if (digits == semi)
            return 0;
        for (const char *p = digits; p < semi; p++) {
            int d = *p >= '0' && *p <= '9' ? *p - '0'
                  : hex && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                  : hex && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
            if (d < 0)
                return 0;
            c = c * (hex ? 16 : 10) + (unsigned long)d;
            if (c > 0x10ffff)
                c = 0x110000;           /* stays out of range, no overflow */
        }
        put_codepoint(o, (unsigned)c);
        return len;
    }
    for (size_t i = 0; i < sizeof(named_refs) / sizeof(named_refs[0]); i++) {
        size_t nl = strlen(named_refs[i].name);
        if (nl == len - 2 && !memcmp(s + 1, named_refs[i].name, nl)) {
            put_codepoint(o, named_refs[i].codepoint);
            return len;
        }
    }
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Decodes text (and character references) of s[0..n) into o. */
static void put_decoded(struct text_out *o, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t used = s[i] == '&' ? put_char_ref(o, s + i, n - i) : 0;
        i += used ? used : put_text_char(o, s + i, n - i);
    }
}

/* The annotation of a <v> tag as a new string: references decoded, white space
 * collapsed and trimmed. NULL when empty or on allocation failure (*nomem set). */
static char *voice_name(const char *s, size_t n, int *nomem)
{
    struct text_out o = { malloc(3 * n + 1), 0 };
    if (!o.buf) {
        *nomem = 1;
        return NULL;
    }
    put_decoded(&o, s, n);
    size_t w = 0;
    for (size_t r = 0; r < o.len; r++) {
        if (is_space(o.buf[r]) && (w == 0 || o.buf[w - 1] == ' '))
            continue;
        o.buf[w++] = is_space(o.buf[r]) ? ' ' : o.buf[r];
    }
    while (w && o.buf[w - 1] == ' ')
        w--;
    o.buf[w] = '\0';
    if (!w) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}

/* Voices seen so far: the cue's speaker (the first) and the one currently speaking. */
struct voices {
    char *speaker, *current;
};

/* Handles the tag s[0..n) (between '<' and '>'): only a voice start tag matters. A
 * change of voice after the first starts a new line prefixed with the new name. */
static int handle_tag(struct text_out *o, struct voices *v, const char *s, size_t n)
{
    int nomem = 0;
    if (n < 1 || s[0] != 'v' || (n > 1 && s[1] != '.' && !is_space(s[1])))
        return 0;
    size_t a = 1;
    while (a < n && !is_space(s[a]))
        a++;                            /* classes: <v.loud Name> */
    char *name = voice_name(s + a, n - a, &nomem);
    if (!name)
        return nomem ? AVERROR(ENOMEM) : 0;
    if (!v->speaker) {
        v->speaker = v->current = name;
        return 0;
    }
    if (!strcmp(name, v->current)) {
        free(name);
        return 0;
    }
    while (o->len && o->buf[o->len - 1] == ' ')
        o->len--;
    if (o->len && o->buf[o->len - 1] != '\n')
        put_bytes(o, "\n", 1);
    put_bytes(o, name, strlen(name));
    put_bytes(o, ": ", 2);
    if (v->current != v->speaker)
        free(v->current);
    v->current = name;
    return 0;
}

int caption_cue_set_payload(struct caption_cue *cue, const char *payload, size_t len)
{
    struct text_out o = { malloc(3 * len + 1), 0 };
    struct voices v = { NULL, NULL };
    char *shrunk;
    size_t i = 0;
    int ret = 0;
    if (!o.buf) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    while (i < len) {
        if (payload[i] == '<') {
            const char *close = memchr(payload + i, '>', len - i);
            size_t tag_len = close ? (size_t)(close - payload) - i - 1 : len - i - 1;
            ret = handle_tag(&o, &v, payload + i + 1, tag_len);
            if (ret < 0)
                goto fail;
            i += tag_len + 1 + (close != NULL);
        } else {
            size_t end = i;
            while (end < len && payload[end] != '<')
                end++;
            put_decoded(&o, payload + i, end - i);
            i = end;
        }
    }
    o.buf[o.len] = '\0';
    shrunk = realloc(o.buf, o.len + 1);
    free(cue->text);
    free(cue->speaker);
    cue->text = shrunk ? shrunk : o.buf;
    cue->speaker = v.speaker;
    if (v.current == v.speaker)
        v.current = NULL;
    v.speaker = NULL;
    o.buf = NULL;
fail:
    if (v.current != v.speaker)
        free(v.current);
    free(v.speaker);
    free(o.buf);
    return ret;
}
