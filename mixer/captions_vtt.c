/* WebVTT file parser (https://www.w3.org/TR/webvtt1/): header, blocks, cue timings;
 * cue text is decoded by captions_payload.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libavutil/error.h>
#include "mixer/captions.h"

/* One line of input, without its terminator (CR, LF or CRLF). */
struct line {
    const char *s;
    size_t n;
    int number;              /* 1-based */
};

struct vtt_reader {
    const char *buf;
    size_t len, pos;
    int number;
    struct line peeked;
    int has_peeked;
};

struct vtt_parse {
    struct vtt_reader in;
    struct caption_cue *cues;
    int count, allocated;
    char *err;
    size_t err_size;
};

static int next_line(struct vtt_reader *r, struct line *out)
{
    if (r->has_peeked) {
        *out = r->peeked;
        r->has_peeked = 0;
        return 1;
    }
    if (r->pos >= r->len)
        return 0;
    size_t start = r->pos, end = start;
    while (end < r->len && r->buf[end] != '\n' && r->buf[end] != '\r')
        end++;
    r->pos = end;
    if (r->pos < r->len && r->buf[r->pos] == '\r')
        r->pos++;
    if (r->pos < r->len && r->buf[r->pos] == '\n')
        r->pos++;
    *out = (struct line){ r->buf + start, end - start, ++r->number };
    return 1;
}

static void unread_line(struct vtt_reader *r, const struct line *l)
{
    r->peeked = *l;
    r->has_peeked = 1;
}

static int has_arrow(const struct line *l)
{
    return memmem(l->s, l->n, "-->", 3) != NULL;
}

/* Whether the line is `word` alone or followed by a space or tab. */
static int starts_with_word(const struct line *l, const char *word)
{
    size_t n = strlen(word);
    return l->n >= n && !memcmp(l->s, word, n) &&
           (l->n == n || l->s[n] == ' ' || l->s[n] == '\t');
}

static int fail_at(struct vtt_parse *p, int ret, const struct line *l, const char *fmt, ...)
{
    if (p->err && p->err_size) {
        int n = l ? snprintf(p->err, p->err_size, "line %d: ", l->number) : 0;
        if (n >= 0 && (size_t)n < p->err_size) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->err_size - n, fmt, ap);
            va_end(ap);
        }
    }
    return ret;
}

/* Reads a run of ASCII digits (at most 10) at *s; returns its length. */
static size_t digits(const char **s, const char *end, long long *value)
{
    size_t n = 0;
    *value = 0;
    while (*s < end && **s >= '0' && **s <= '9' && n < 11) {
        *value = *value * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return n;
}

/* [H...]H:MM:SS.mmm or MM:SS.mmm. Returns 0 and advances *s, or -1. */
static int parse_timestamp(const char **s, const char *end, double *out)
{
    long long v1, v2, v3 = 0, ms;
    size_t n1 = digits(s, end, &v1), n3 = 0;
    if (n1 < 1 || n1 > 10 || *s >= end || *(*s)++ != ':')
        return -1;
    if (digits(s, end, &v2) != 2)
        return -1;
    int hours = *s < end && **s == ':';
    if (hours) {
        (*s)++;
        n3 = digits(s, end, &v3);
    }
    if (*s >= end || *(*s)++ != '.' || digits(s, end, &ms) != 3)
        return -1;
    if (hours ? n3 != 2 || v2 > 59 || v3 > 59 : n1 != 2 || v1 > 59 || v2 > 59)
        return -1;
    *out = hours ? v1 * 3600.0 + v2 * 60.0 + v3 + ms / 1000.0 : v1 * 60.0 + v2 + ms / 1000.0;
    return 0;
}

static const char *skip_blanks(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* "start --> end [settings]"; settings are ignored. */
static int parse_timing(struct vtt_parse *p, const struct line *l, double *start, double *end)
{
    const char *s = skip_blanks(l->s, l->s + l->n), *e = l->s + l->n;
    if (parse_timestamp(&s, e, start) < 0)
        goto malformed;
    s = skip_blanks(s, e);
    if (e - s < 3 || memcmp(s, "-->", 3))
        goto malformed;
    s = skip_blanks(s + 3, e);
    if (parse_timestamp(&s, e, end) < 0 || (s < e && *s != ' ' && *s != '\t'))
        goto malformed;
    if (*end <= *start)
        return fail_at(p, AVERROR_INVALIDDATA, l, "cue ends (%.3f s) before it starts (%.3f s)",
                       *end, *start);
    return 0;
malformed:
    return fail_at(p, AVERROR_INVALIDDATA, l, "malformed cue timestamp in \"%.*s\"",
                   (int)(l->n < 64 ? l->n : 64), l->s);
}

/* Collects the cue payload (lines up to a blank line, the end, or a line holding
 * "-->", which is left for the next block), joined by '\n'. Returns its length. */
static size_t collect_payload(struct vtt_reader *r, const char **start)
{
    struct line l;
    const char *first = NULL, *last_end = NULL;
    while (next_line(r, &l)) {
        if (!l.n || has_arrow(&l)) {
            if (l.n)
                unread_line(r, &l);
            break;
        }
        if (!first)
            first = l.s;
        last_end = l.s + l.n;
    }
    *start = first;
    return first ? (size_t)(last_end - first) : 0;
}

/* The payload's line terminators become '\n' (CRLF and CR included). */
static int add_cue(struct vtt_parse *p, const struct line *timing, double start, double end,
                   const char *payload, size_t n)
{
    char *joined = NULL;
    size_t j = 0;
    int ret;
    if (p->count >= CAPTION_MAX_CUES)
        return fail_at(p, AVERROR(EFBIG), timing, "more than %d cues", CAPTION_MAX_CUES);
    if (p->count == p->allocated) {
        int want = p->allocated ? 2 * p->allocated : 16;
        struct caption_cue *cues = realloc(p->cues, sizeof(*cues) * want);
        if (!cues)
            return AVERROR(ENOMEM);
        p->cues = cues;
        p->allocated = want;
    }
    joined = malloc(n + 1);
    if (!joined)
        return AVERROR(ENOMEM);
    for (size_t i = 0; i < n; i++) {
        if (payload[i] == '\r' && i + 1 < n && payload[i + 1] == '\n')
            continue;
        joined[j++] = payload[i] == '\r' ? '\n' : payload[i];
    }
    struct caption_cue *cue = &p->cues[p->count];
    *cue = (struct caption_cue){ .start = start, .end = end };
    ret = caption_cue_set_payload(cue, joined, j);
    if (ret < 0)
        goto fail;
    p->count++;
fail:
    free(joined);
    return ret;
}

/* One block after the header: a NOTE, STYLE or REGION block (skipped) or a cue. */
static int parse_block(struct vtt_parse *p, struct line *first)
{
    struct line timing = *first, l;
    double start, end;
    const char *payload;
    int ret;
    if (!has_arrow(first)) {
        if (starts_with_word(first, "NOTE") || starts_with_word(first, "STYLE") ||
            starts_with_word(first, "REGION")) {
            while (next_line(&p->in, &l) && l.n)
                ;
            return 0;
        }
        /* A cue identifier, which must be followed by the timing line. */
        if (!next_line(&p->in, &timing) || !has_arrow(&timing))
            return fail_at(p, AVERROR_INVALIDDATA, first,
                           "expected a cue timing line (\"start --> end\") after \"%.*s\"",
                           (int)(first->n < 64 ? first->n : 64), first->s);
    }
    ret = parse_timing(p, &timing, &start, &end);
    if (ret < 0)
        return ret;
    size_t n = collect_payload(&p->in, &payload);
    return n ? add_cue(p, &timing, start, end, payload, n) : 0;   /* empty cue: skipped */
}

static int header(struct vtt_parse *p)
{
    struct line l;
    if (p->in.len >= 3 && !memcmp(p->in.buf, "\xef\xbb\xbf", 3))
        p->in.pos = 3;
    if (!next_line(&p->in, &l) || !starts_with_word(&l, "WEBVTT"))
        return fail_at(p, AVERROR_INVALIDDATA, &(struct line){ .number = 1 },
                       "missing WEBVTT header");
    while (next_line(&p->in, &l) && l.n)
        ;                                   /* header text, up to the first blank line */
    return 0;
}

static int is_sorted(const struct caption_cue *cues, int n)
{
    for (int i = 1; i < n; i++)
        if (cues[i].start < cues[i - 1].start)
            return 0;
    return 1;
}

/* Stable bottom-up merge sort by start (equal starts keep file order), skipped for
 * the usual already sorted file. */
static int sort_cues(struct caption_cue *cues, int n)
{
    if (is_sorted(cues, n))
        return 0;
    struct caption_cue *tmp = malloc(sizeof(*tmp) * n);
    if (!tmp)
        return AVERROR(ENOMEM);
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cues[j].start < cues[i].start ? cues[j++] : cues[i++];
            while (i < mid)
                tmp[k++] = cues[i++];
            while (j < hi)
                tmp[k++] = cues[j++];
        }
        memcpy(cues, tmp, sizeof(*tmp) * n);
    }
    free(tmp);
    return 0;
}

int caption_track_parse_vtt(struct caption_track **out, const char *buf, size_t len,
                            char *err, size_t err_size)
{
    struct vtt_parse p = { .in = { .buf = buf, .len = len }, .err = err,
                           .err_size = err_size };
    struct caption_track *track = NULL;
    struct line l;
    int ret;
    if (err && err_size)
        err[0] = '\0';
    if (!out || (!buf && len))
        return AVERROR(EINVAL);
    if (len > CAPTION_MAX_FILE_SIZE) {
        ret = fail_at(&p, AVERROR(EFBIG), NULL, "WebVTT input larger than %d bytes",
                      CAPTION_MAX_FILE_SIZE);
        goto fail;
    }
    ret = header(&p);
    if (ret < 0)
        goto fail;
    while (next_line(&p.in, &l)) {
        if (!l.n)
            continue;
        ret = parse_block(&p, &l);
        if (ret < 0)
            goto fail;
    }
    ret = sort_cues(p.cues, p.count);
    if (ret < 0)
        goto fail;
    track = calloc(1, sizeof(*track));
    if (!track || !(track->end_max = malloc(sizeof(double) * (p.count + 1)))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    for (int i = 0; i < p.count; i++)
        track->end_max[i] = i && track->end_max[i - 1] > p.cues[i].end
                          ? track->end_max[i - 1] : p.cues[i].end;
    track->cues = p.cues;
    track->count = p.count;
    *out = track;
    return 0;
fail:
    free(track);
    for (int i = 0; i < p.count; i++) {
        free(p.cues[i].speaker);
        free(p.cues[i].text);
    }
    free(p.cues);
    return ret;
}

/* Reads the whole file, at most CAPTION_MAX_FILE_SIZE bytes (one more tells an
 * oversized file apart). */
static int read_file(FILE *f, char **out, size_t *len)
{
    size_t size = 0, allocated = 0;
    char *buf = NULL;
    for (;;) {
        if (size == allocated) {
            size_t want = allocated ? 2 * allocated : 64 * 1024;
            if (want > CAPTION_MAX_FILE_SIZE + 1)
                want = CAPTION_MAX_FILE_SIZE + 1;
            char *grown = realloc(buf, want);
            if (!grown) {
                free(buf);
                return AVERROR(ENOMEM);
            }
            buf = grown;
            allocated = want;
        }
        size_t n = fread(buf + size, 1, allocated - size, f);
        size += n;
        if (size > CAPTION_MAX_FILE_SIZE || n == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return AVERROR(EIO);
    }
    *out = buf;
    *len = size;
    return size > CAPTION_MAX_FILE_SIZE ? AVERROR(EFBIG) : 0;
}

int caption_track_load_vtt(struct caption_track **out, const char *path,
                           char *err, size_t err_size)
{
    char *buf = NULL;
    size_t len = 0;
    int ret;
    FILE *f = fopen(path, "rb");
    if (!f) {
        ret = AVERROR(errno);
        goto fail;
    }
    ret = read_file(f, &buf, &len);
    if (ret < 0)
        goto fail;
    fclose(f);
    f = NULL;
    ret = caption_track_parse_vtt(out, buf, len, err, err_size);
    free(buf);
    return ret;
fail:
    if (err && err_size)
        snprintf(err, err_size, "%s: %s", path,
                 ret == AVERROR(EFBIG) ? "larger than 16 MiB" : av_err2str(ret));
    free(buf);
    if (f)
        fclose(f);
    return ret;
}
