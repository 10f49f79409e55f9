/* Unit tests of the RTP payload formats in codecs/: round trips of real encoded
 * frames, hostile payloads, losses, telephone-event, and ffmpeg as a peer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libavutil/opt.h>
#include "codecs/codec.h"
#include "codecs/telephone_event.h"
#include "test.h"

#define W 320
#define H 240
#define CAPTURE_MAX 4096

/* Payloads collected from a packetizer. */
struct capture {
    uint8_t *bytes;
    size_t used, cap;
    size_t off[CAPTURE_MAX], len[CAPTURE_MAX];
    int marker[CAPTURE_MAX];
    int n;
};

/* Resources of one test, freed whatever the checks decided. */
struct fixture {
    struct capture *cap;
    AVPacket *pkts[4];
    int npkts;
    struct codec_depacketizer *dp;
    AVPacket *out;
    uint8_t *norm;
};

static void fixture_free(struct fixture *f)
{
    if (f->cap)
        av_free(f->cap->bytes);
    av_freep(&f->cap);
    for (int i = 0; i < f->npkts; i++)
        av_packet_free(&f->pkts[i]);
    codec_depacketizer_free(&f->dp);
    av_packet_free(&f->out);
    av_freep(&f->norm);
}

static int capture_emit(void *opaque, const uint8_t *p, size_t len, int marker)
{
    struct capture *c = opaque;

    if (c->n == CAPTURE_MAX)
        return AVERROR(ENOSPC);
    if (c->used + len > c->cap) {
        size_t ncap = (c->used + len) * 2;
        uint8_t *nb = av_realloc(c->bytes, ncap);
        if (!nb)
            return AVERROR(ENOMEM);
        c->bytes = nb;
        c->cap = ncap;
    }
    memcpy(c->bytes + c->used, p, len);
    c->off[c->n] = c->used;
    c->len[c->n] = len;
    c->marker[c->n++] = marker;
    c->used += len;
    return 0;
}

static const uint8_t *cap_payload(const struct capture *c, int i)
{
    return c->bytes + c->off[i];
}

static void capture_reset(struct capture *c)
{
    c->n = 0;
    c->used = 0;
}

/* Encodes `count` frames of mid-gray luma with seeded noise at WxH (the same noise
 * each time, a small block changes: later frames are inter frames). */
static int encode_frames(const char *encoder, const char *opts_str, int count, struct fixture *f)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
    AVCodecContext *ctx = NULL;
    AVDictionary *opts = NULL;
    AVFrame *frame = NULL;
    uint32_t seed;
    int ret, level = av_log_get_level();

    if (!codec)
        return AVERROR_ENCODER_NOT_FOUND;
    av_log_set_level(AV_LOG_ERROR);
    ret = AVERROR(ENOMEM);
    ctx = avcodec_alloc_context3(codec);
    frame = av_frame_alloc();
    if (!ctx || !frame)
        goto fail;
    ctx->width = W;
    ctx->height = H;
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = (AVRational){ 1, 25 };
    ctx->framerate = (AVRational){ 25, 1 };
    ctx->gop_size = 25;
    ctx->max_b_frames = 0;
    ctx->thread_count = 1;
    ctx->bit_rate = 400000;
    ret = av_dict_parse_string(&opts, opts_str, "=", ":", 0);
    if (ret < 0)
        goto fail;
    ret = avcodec_open2(ctx, codec, &opts);
    if (ret < 0)
        goto fail;
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = W;
    frame->height = H;
    ret = av_frame_get_buffer(frame, 0);
    if (ret < 0)
        goto fail;
    for (int i = 0; i <= count; i++) {
        if (i < count) {
            ret = av_frame_make_writable(frame);
            if (ret < 0)
                goto fail;
            seed = 12345;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    seed = seed * 1103515245u + 12345u;
                    frame->data[0][y * frame->linesize[0] + x] =
                        (uint8_t)(128 + (int)(seed >> 26) - 32 + (x < 16 && y < 16 ? 8 * i : 0));
                }
            for (int p = 1; p < 3; p++)
                for (int y = 0; y < H / 2; y++)
                    memset(frame->data[p] + y * frame->linesize[p], 128, W / 2);
            frame->pts = i;
        }
        ret = avcodec_send_frame(ctx, i < count ? frame : NULL);
        if (ret < 0)
            goto fail;
        for (;;) {
            AVPacket *pkt = av_packet_alloc();
            if (!pkt) {
                ret = AVERROR(ENOMEM);
                goto fail;
            }
            ret = avcodec_receive_packet(ctx, pkt);
            if (ret < 0 || f->npkts == 4) {
                av_packet_free(&pkt);
                break;
            }
            f->pkts[f->npkts++] = pkt;
        }
        if (ret != AVERROR(EAGAIN) && ret != AVERROR_EOF && ret < 0)
            goto fail;
    }
    ret = f->npkts >= count ? 0 : AVERROR_BUG;
fail:
    av_dict_free(&opts);
    av_frame_free(&frame);
    avcodec_free_context(&ctx);
    av_log_set_level(level);
    return ret;
}

/* Annex B with every start code made 4 bytes and trailing zeros dropped (the
 * depacketizer's output form). Returns the length written to out (cap >= 2*len). */
static size_t annexb_normalize(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0, i = 0, start = 0;
    int in_nal = 0;

    while (i <= len) {
        int sc = i + 2 < len && !in[i] && !in[i + 1] && in[i + 2] == 1;
        if (sc || i == len) {
            if (in_nal) {
                size_t end = i;
                while (end > start && !in[end - 1])
                    end--;
                if (end > start) {
                    memcpy(out + o, "\0\0\0\1", 4);
                    memcpy(out + o + 4, in + start, end - start);
                    o += 4 + end - start;
                }
            }
            if (i == len)
                break;
            in_nal = 1;
            start = i + 3;
            i += 3;
            continue;
        }
        i++;
    }
    return o;
}

/* Pushes every captured payload with one timestamp; returns the push results OR'ed
 * except the last one's, which goes to *last. */
static int push_all(struct fixture *f, uint32_t ts, int *last)
{
    int any = 0;

    for (int i = 0; i < f->cap->n; i++) {
        int r = codec_depacketizer_push(f->dp, cap_payload(f->cap, i), f->cap->len[i], ts,
                                        f->cap->marker[i], 0, f->out);
        if (i == f->cap->n - 1)
            *last = r;
        else
            any |= r;
    }
    return any;
}

static int alloc_fixture(struct fixture *f, const struct codec_desc *desc)
{
    f->cap = av_mallocz(sizeof(*f->cap));
    f->out = av_packet_alloc();
    if (!f->cap || !f->out)
        return AVERROR(ENOMEM);
    return desc ? codec_depacketizer_alloc(&f->dp, desc) : 0;
}

static int h264_roundtrip_checks(struct fixture *f)
{
    const AVPacket *idr;
    size_t nlen;
    int fu = 0, stap = 0, last = 0, in_fu = 0;

    TEST_CHECK(alloc_fixture(f, &codec_h264) == 0);
    TEST_CHECK(encode_frames("libx264", "preset=ultrafast:tune=zerolatency:profile=baseline", 2, f) == 0);
    idr = f->pkts[0];
    TEST_CHECK(idr->flags & AV_PKT_FLAG_KEY);
    TEST_CHECK(idr->size > 4 * 1200);
    TEST_CHECK(codec_packetize(&codec_h264, idr->data, idr->size, 1200, capture_emit, f->cap) == 0);
    TEST_CHECK(f->cap->n > 4);
    for (int i = 0; i < f->cap->n; i++) {
        const uint8_t *p = cap_payload(f->cap, i);
        int type = p[0] & 0x1f;

        TEST_CHECK(f->cap->len[i] <= 1200);
        TEST_CHECK(f->cap->marker[i] == (i == f->cap->n - 1));
        if (type == 24)
            stap++;
        if (type != 28) {
            TEST_CHECK(!in_fu);
            continue;
        }
        fu++;
        TEST_CHECK((p[1] & 0x1f) == 5);              /* the IDR slice is fragmented */
        TEST_CHECK((p[0] & 0x60) == 0x60);           /* its NRI (3) is preserved */
        TEST_CHECK(!!(p[1] & 0x80) == !in_fu);       /* S only on the first fragment */
        in_fu = !(p[1] & 0x40);                      /* E on the last one */
        TEST_CHECK(!(p[1] & 0x20));
    }
    TEST_CHECK(!in_fu);
    TEST_CHECK(fu >= 4);
    TEST_CHECK(stap == 1);                           /* SPS + PPS (+ SEI) aggregated */
    TEST_CHECK((cap_payload(f->cap, 0)[0] & 0x1f) == 24);

    TEST_CHECK(push_all(f, 3000, &last) == 0);
    TEST_CHECK(last == 1);
    f->norm = av_malloc(2 * (size_t)idr->size + 16);
    TEST_CHECK(f->norm);
    nlen = annexb_normalize(idr->data, idr->size, f->norm);
    TEST_CHECK(f->out->size == (int)nlen && !memcmp(f->out->data, f->norm, nlen));
    TEST_CHECK((f->out->flags & AV_PKT_FLAG_KEY) && f->out->pts == 3000);
    TEST_CHECK(!codec_depacketizer_needs_keyframe(f->dp));

    /* The P frame comes back too, not a keyframe. */
    capture_reset(f->cap);
    TEST_CHECK(codec_packetize(&codec_h264, f->pkts[1]->data, f->pkts[1]->size, 1200,
                               capture_emit, f->cap) == 0);
    TEST_CHECK(push_all(f, 6000, &last) == 0 && last == 1);
    nlen = annexb_normalize(f->pkts[1]->data, f->pkts[1]->size, f->norm);
    TEST_CHECK(f->out->size == (int)nlen && !memcmp(f->out->data, f->norm, nlen));
    TEST_CHECK(!(f->out->flags & AV_PKT_FLAG_KEY));
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 0);
    return 0;
}

static int h264_mode0_checks(struct fixture *f)
{
    const char *mode0 = "profile-level-id=42e01f; packetization-mode=0";
    const AVPacket *idr;

    TEST_CHECK(alloc_fixture(f, NULL) == 0);
    TEST_CHECK(encode_frames("libx264", "preset=ultrafast:tune=zerolatency:profile=baseline", 1, f) == 0);
    idr = f->pkts[0];
    TEST_CHECK(codec_packetize_fmtp(&codec_h264, mode0, idr->data, idr->size, 1200,
                                    capture_emit, f->cap) == AVERROR(EMSGSIZE));
    TEST_CHECK(f->cap->n == 0);
    /* No packetization-mode at all means mode 0 (RFC 6184). */
    TEST_CHECK(codec_packetize_fmtp(&codec_h264, "profile-level-id=42e01f", idr->data, idr->size,
                                    1200, capture_emit, f->cap) == AVERROR(EMSGSIZE));
    TEST_CHECK(codec_packetize_fmtp(&codec_h264, mode0, idr->data, idr->size, 65000,
                                    capture_emit, f->cap) == 0);
    TEST_CHECK(f->cap->n >= 3);
    for (int i = 0; i < f->cap->n; i++) {
        int type = cap_payload(f->cap, i)[0] & 0x1f;
        TEST_CHECK(type >= 1 && type <= 23);
    }
    TEST_CHECK(codec_packetize_fmtp(&codec_h264, "packetization-mode=2", idr->data, idr->size,
                                    1200, capture_emit, f->cap) < 0);
    return 0;
}

static int vp8_roundtrip_checks(struct fixture *f)
{
    int last = 0;

    TEST_CHECK(alloc_fixture(f, &codec_vp8) == 0);
    TEST_CHECK(encode_frames("libvpx", "deadline=realtime:cpu-used=8:lag-in-frames=0", 2, f) == 0);
    for (int k = 0; k < 2; k++) {
        const AVPacket *pkt = f->pkts[k];

        capture_reset(f->cap);
        TEST_CHECK(codec_packetize(&codec_vp8, pkt->data, pkt->size, 800, capture_emit, f->cap) == 0);
        TEST_CHECK(k || f->cap->n >= 3);
        for (int i = 0; i < f->cap->n; i++) {
            TEST_CHECK(cap_payload(f->cap, i)[0] == (i ? 0x00 : 0x10));
            TEST_CHECK(f->cap->len[i] <= 800);
            TEST_CHECK(f->cap->marker[i] == (i == f->cap->n - 1));
        }
        TEST_CHECK(push_all(f, 90000 + 3600 * k, &last) == 0 && last == 1);
        TEST_CHECK(f->out->size == pkt->size && !memcmp(f->out->data, pkt->data, pkt->size));
        TEST_CHECK(!!(f->out->flags & AV_PKT_FLAG_KEY) == !k);
        TEST_CHECK(!!(pkt->flags & AV_PKT_FLAG_KEY) == !k);
    }
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 0);
    return 0;
}

static int h263p_roundtrip_checks(struct fixture *f)
{
    int last = 0, p_later = 0;

    TEST_CHECK(alloc_fixture(f, &codec_h263p) == 0);
    /* ps: the encoder starts a GOB about every 600 bytes, for the packetizer to use. */
    TEST_CHECK(encode_frames("h263p", "ps=600", 2, f) == 0);
    for (int k = 0; k < 2; k++) {
        const AVPacket *pkt = f->pkts[k];

        capture_reset(f->cap);
        TEST_CHECK(codec_packetize(&codec_h263p, pkt->data, pkt->size, 1000, capture_emit,
                                   f->cap) == 0);
        TEST_CHECK(k || f->cap->n >= 3);
        TEST_CHECK(cap_payload(f->cap, 0)[0] == 0x04 && cap_payload(f->cap, 0)[1] == 0);
        for (int i = 0; i < f->cap->n; i++) {
            TEST_CHECK(f->cap->len[i] <= 1000);
            TEST_CHECK(f->cap->marker[i] == (i == f->cap->n - 1));
            if (i && cap_payload(f->cap, i)[0] == 0x04)
                p_later++;
        }
        TEST_CHECK(push_all(f, 1000 + 3600 * k, &last) == 0 && last == 1);
        TEST_CHECK(f->out->size == pkt->size && !memcmp(f->out->data, pkt->data, pkt->size));
        TEST_CHECK(!!(f->out->flags & AV_PKT_FLAG_KEY) == !k);
        TEST_CHECK(!!(pkt->flags & AV_PKT_FLAG_KEY) == !k);
    }
    TEST_CHECK(p_later > 0);                  /* later payloads start at GOB start codes */
    /* A frame without a picture start code is refused. */
    TEST_CHECK(codec_packetize(&codec_h263p, f->pkts[0]->data + 1, f->pkts[0]->size - 1, 1000,
                               capture_emit, f->cap) == AVERROR_INVALIDDATA);
    return 0;
}

static int push(struct fixture *f, const uint8_t *p, size_t len, uint32_t ts, int marker, int lost)
{
    return codec_depacketizer_push(f->dp, p, len, ts, marker, lost, f->out);
}

static const uint8_t h264_stap[] = { 0x78, 0x00, 0x04, 0x67, 0x42, 0x00, 0x1f,
                                     0x00, 0x03, 0x68, 0xce, 0x3c };
static const uint8_t h264_idr[] = { 0x65, 0x88, 0x80, 0x10 };

static int h264_stap_checks(struct fixture *f)
{
    static const uint8_t expect[] = { 0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1f, 0, 0, 0, 1, 0x68, 0xce,
                                      0x3c, 0, 0, 0, 1, 0x65, 0x88, 0x80, 0x10 };

    TEST_CHECK(alloc_fixture(f, &codec_h264) == 0);
    TEST_CHECK(codec_depacketizer_needs_keyframe(f->dp));
    TEST_CHECK(push(f, h264_stap, sizeof(h264_stap), 10, 0, 0) == 0);
    TEST_CHECK(push(f, h264_idr, sizeof(h264_idr), 10, 1, 0) == 1);
    TEST_CHECK(f->out->size == sizeof(expect) && !memcmp(f->out->data, expect, sizeof(expect)));
    TEST_CHECK((f->out->flags & AV_PKT_FLAG_KEY) && f->out->pts == 10);
    TEST_CHECK(!codec_depacketizer_needs_keyframe(f->dp));
    return 0;
}

/* FU-A fragments of an IDR slice: start, middle, end. */
static const uint8_t fu_s[] = { 0x7c, 0x85, 0x88, 0x11 };
static const uint8_t fu_m[] = { 0x7c, 0x05, 0x22, 0x33 };
static const uint8_t fu_e[] = { 0x7c, 0x45, 0x44 };
static const uint8_t p_slice[] = { 0x41, 0x9a, 0x02 };

static int h264_loss_checks(struct fixture *f)
{
    static const uint8_t idr[] = { 0, 0, 0, 1, 0x65, 0x88, 0x11, 0x22, 0x33, 0x44 };

    TEST_CHECK(alloc_fixture(f, &codec_h264) == 0);
    TEST_CHECK(push(f, h264_stap, sizeof(h264_stap), 0, 0, 0) == 0);
    TEST_CHECK(push(f, h264_idr, sizeof(h264_idr), 0, 1, 0) == 1);
    TEST_CHECK(!codec_depacketizer_needs_keyframe(f->dp));

    /* The middle fragment is lost: the frame is dropped and counted. */
    TEST_CHECK(push(f, fu_s, sizeof(fu_s), 3000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_e, sizeof(fu_e), 3000, 1, 1) == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 1);
    TEST_CHECK(codec_depacketizer_needs_keyframe(f->dp));

    /* A P frame completes but does not end the wait. */
    TEST_CHECK(push(f, p_slice, sizeof(p_slice), 6000, 1, 0) == 1);
    TEST_CHECK(!(f->out->flags & AV_PKT_FLAG_KEY));
    TEST_CHECK(codec_depacketizer_needs_keyframe(f->dp));

    /* A whole IDR clears it. */
    TEST_CHECK(push(f, fu_s, sizeof(fu_s), 9000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_m, sizeof(fu_m), 9000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_e, sizeof(fu_e), 9000, 1, 0) == 1);
    TEST_CHECK(f->out->size == sizeof(idr) && !memcmp(f->out->data, idr, sizeof(idr)));
    TEST_CHECK(f->out->flags & AV_PKT_FLAG_KEY);
    TEST_CHECK(!codec_depacketizer_needs_keyframe(f->dp));
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 1);

    /* FU-A without its start fragment, and a second start before the end. */
    TEST_CHECK(push(f, fu_m, sizeof(fu_m), 12000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_e, sizeof(fu_e), 12000, 1, 0) == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 2);
    TEST_CHECK(push(f, fu_s, sizeof(fu_s), 15000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_s, sizeof(fu_s), 15000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_e, sizeof(fu_e), 15000, 1, 0) == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 3);

    /* A whole frame lost between two: counted once; the keyframe after it is good. */
    TEST_CHECK(push(f, fu_s, sizeof(fu_s), 21000, 0, 3) == 0);
    TEST_CHECK(push(f, fu_m, sizeof(fu_m), 21000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_e, sizeof(fu_e), 21000, 1, 0) == 1);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 4);
    TEST_CHECK(!codec_depacketizer_needs_keyframe(f->dp));

    /* The head of a frame lost: it starts mid-NAL, so it is broken (counted once). */
    TEST_CHECK(push(f, fu_m, sizeof(fu_m), 24000, 0, 1) == 0);
    TEST_CHECK(push(f, fu_e, sizeof(fu_e), 24000, 1, 0) == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 5);
    TEST_CHECK(codec_depacketizer_needs_keyframe(f->dp));

    /* The tail (with the marker) of a frame lost: the timestamp change ends it broken;
     * the next frame is whole and counted apart. */
    TEST_CHECK(push(f, fu_s, sizeof(fu_s), 27000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_m, sizeof(fu_m), 27000, 0, 0) == 0);
    TEST_CHECK(push(f, fu_s, sizeof(fu_s), 30000, 0, 2) == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 6);
    TEST_CHECK(push(f, fu_e, sizeof(fu_e), 30000, 1, 0) == 1);
    TEST_CHECK(f->out->pts == 30000 && (f->out->flags & AV_PKT_FLAG_KEY));
    TEST_CHECK(!codec_depacketizer_needs_keyframe(f->dp));

    /* After a loss, a slice with first_mb_in_slice != 0 cannot start a frame; one
     * with first_mb_in_slice == 0 can (the loss then counts as one lost frame). */
    TEST_CHECK(push(f, (const uint8_t *)"\x41\x40\x02", 3, 31000, 1, 1) == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 7);
    TEST_CHECK(push(f, p_slice, sizeof(p_slice), 32000, 1, 1) == 1 && f->out->pts == 32000);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 8);

    /* Without a loss, the timestamp change returns the unfinished frame as it is. */
    TEST_CHECK(push(f, p_slice, sizeof(p_slice), 33000, 0, 0) == 0);
    TEST_CHECK(push(f, p_slice, sizeof(p_slice), 36000, 0, 0) == 1 && f->out->pts == 33000);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 8);
    return 0;
}

/* Feeds one hostile payload as a whole frame: nothing comes out, one more broken. */
static int hostile(struct fixture *f, const uint8_t *p, size_t len, uint32_t ts)
{
    int64_t before = codec_depacketizer_broken_frames(f->dp);

    TEST_CHECK(push(f, p, len, ts, 1, 0) == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == before + 1);
    return 0;
}

static int malformed_checks(struct fixture *f)
{
    static const uint8_t fu_short[] = { 0x7c };
    static const uint8_t fu_bare[] = { 0x7c, 0x85 };
    static const uint8_t fu_se[] = { 0x7c, 0xc5, 0x01 };
    static const uint8_t stap_past[] = { 0x78, 0x00, 0x10, 0x67, 0x42 };
    static const uint8_t stap_tail[] = { 0x78, 0x00, 0x01, 0x67, 0x00 };
    static const uint8_t stap_zero[] = { 0x78, 0x00, 0x00, 0x00, 0x01, 0x67 };
    static const uint8_t fbit[] = { 0xe5, 0x88 };
    static const uint8_t mtap[] = { 0x7a, 0x00, 0x01 };
    static const uint8_t vp8_x[] = { 0x90 };
    static const uint8_t vp8_i[] = { 0x90, 0x80 };
    static const uint8_t vp8_m[] = { 0x90, 0x80, 0x80 };
    static const uint8_t vp8_m2[] = { 0x90, 0x80, 0x80, 0x01 };
    static const uint8_t vp8_lt[] = { 0x90, 0x60, 0x01 };
    static const uint8_t vp8_nos[] = { 0x00, 0x9d };
    static const uint8_t h263_short[] = { 0x04 };
    static const uint8_t h263_plen[] = { 0x05, 0xf8, 0x80, 0x02 };
    static const uint8_t h263_nop[] = { 0x00, 0x00, 0x80, 0x02 };
    static const uint8_t h263_v[] = { 0x06, 0x00, 0x01 };
    static const struct codec_desc *const all[] = { &codec_h264, &codec_vp8, &codec_h263p,
                                                    &codec_opus, &codec_pcmu, &codec_pcma,
                                                    &codec_g722 };
    uint32_t ts = 0;

    TEST_CHECK(alloc_fixture(f, NULL) == 0);
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        codec_depacketizer_free(&f->dp);
        TEST_CHECK(codec_depacketizer_alloc(&f->dp, all[i]) == 0);
        TEST_CHECK(hostile(f, NULL, 0, ts += 10) == 0);
        TEST_CHECK(hostile(f, (const uint8_t *)"", 0, ts += 10) == 0);
    }
    codec_depacketizer_free(&f->dp);
    TEST_CHECK(codec_depacketizer_alloc(&f->dp, &codec_h264) == 0);
    TEST_CHECK(hostile(f, fu_short, sizeof(fu_short), ts += 10) == 0);
    TEST_CHECK(hostile(f, fu_bare, sizeof(fu_bare), ts += 10) == 0);
    TEST_CHECK(hostile(f, fu_se, sizeof(fu_se), ts += 10) == 0);
    TEST_CHECK(hostile(f, stap_past, sizeof(stap_past), ts += 10) == 0);
    TEST_CHECK(hostile(f, stap_tail, sizeof(stap_tail), ts += 10) == 0);
    TEST_CHECK(hostile(f, stap_zero, sizeof(stap_zero), ts += 10) == 0);
    TEST_CHECK(hostile(f, fbit, sizeof(fbit), ts += 10) == 0);
    TEST_CHECK(hostile(f, mtap, sizeof(mtap), ts += 10) == 0);
    codec_depacketizer_free(&f->dp);
    TEST_CHECK(codec_depacketizer_alloc(&f->dp, &codec_vp8) == 0);
    TEST_CHECK(hostile(f, vp8_x, sizeof(vp8_x), ts += 10) == 0);
    TEST_CHECK(hostile(f, vp8_i, sizeof(vp8_i), ts += 10) == 0);
    TEST_CHECK(hostile(f, vp8_m, sizeof(vp8_m), ts += 10) == 0);
    TEST_CHECK(hostile(f, vp8_m2, sizeof(vp8_m2), ts += 10) == 0);
    TEST_CHECK(hostile(f, vp8_lt, sizeof(vp8_lt), ts += 10) == 0);
    TEST_CHECK(hostile(f, vp8_nos, sizeof(vp8_nos), ts += 10) == 0);
    codec_depacketizer_free(&f->dp);
    TEST_CHECK(codec_depacketizer_alloc(&f->dp, &codec_h263p) == 0);
    TEST_CHECK(hostile(f, h263_short, sizeof(h263_short), ts += 10) == 0);
    TEST_CHECK(hostile(f, h263_plen, sizeof(h263_plen), ts += 10) == 0);
    TEST_CHECK(hostile(f, h263_nop, sizeof(h263_nop), ts += 10) == 0);
    TEST_CHECK(hostile(f, h263_v, sizeof(h263_v), ts += 10) == 0);
    /* Packetizers refuse what they cannot carry. */
    TEST_CHECK(codec_packetize(&codec_h264, (const uint8_t *)"\1\2\3", 3, 1200, capture_emit,
                               f->cap) == AVERROR_INVALIDDATA);
    TEST_CHECK(codec_packetize(&codec_h264, (const uint8_t *)"\0\0\1\x78\1", 5, 1200, capture_emit,
                               f->cap) == AVERROR_INVALIDDATA);
    TEST_CHECK(codec_packetize(&codec_vp8, (const uint8_t *)"\1", 1, 1, capture_emit,
                               f->cap) == AVERROR(EINVAL));
    TEST_CHECK(f->cap->n == 0);
    return 0;
}

/* VP8 frames end on a timestamp change as well as on the marker. */
static int vp8_timestamp_checks(struct fixture *f)
{
    static const uint8_t a[] = { 0x10, 0x00, 1, 2, 3 };
    static const uint8_t b[] = { 0x10, 0x01, 4, 5 };
    static const uint8_t c1[] = { 0x90, 0xe0, 0x80, 0x05, 0x07, 0x20, 0x01, 6 };
    static const uint8_t c2[] = { 0x00, 7 };

    TEST_CHECK(alloc_fixture(f, &codec_vp8) == 0);
    TEST_CHECK(push(f, a, sizeof(a), 1, 0, 0) == 0);
    TEST_CHECK(push(f, b, sizeof(b), 2, 1, 0) == 1);     /* returns frame 1 ... */
    TEST_CHECK(f->out->pts == 1 && f->out->size == 4 && !memcmp(f->out->data, a + 1, 4));
    TEST_CHECK(f->out->flags & AV_PKT_FLAG_KEY);
    TEST_CHECK(push(f, c1, sizeof(c1), 3, 0, 0) == 1);   /* ... and frame 2 on the next push */
    TEST_CHECK(f->out->pts == 2 && f->out->size == 3 && !memcmp(f->out->data, b + 1, 3));
    TEST_CHECK(!(f->out->flags & AV_PKT_FLAG_KEY));
    TEST_CHECK(push(f, c2, sizeof(c2), 3, 1, 0) == 1);   /* extensions I (15 bits), L, T/K skipped */
    TEST_CHECK(f->out->pts == 3 && f->out->size == 3 && !memcmp(f->out->data, "\1\6\7", 3));
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 0);
    /* A second frame start under one timestamp is refused. */
    TEST_CHECK(push(f, b, sizeof(b), 4, 0, 0) == 0);
    TEST_CHECK(push(f, b, sizeof(b), 4, 1, 0) == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 1);
    return 0;
}

/* One audio encoder frame, one payload, one frame back. */
static int audio_roundtrip(struct fixture *f, const struct codec_desc *desc, int rate, int samples)
{
    struct codec_params params = { .sample_rate = rate, .channels = 1 };
    AVCodecContext *ctx = NULL;
    AVFrame *frame = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int ret = -1, level = av_log_get_level();

    av_log_set_level(AV_LOG_ERROR);
    if (!frame || !pkt || codec_open_encoder(&ctx, desc, &params) < 0)
        goto fail;
    frame->format = ctx->sample_fmt;
    frame->nb_samples = samples;
    frame->sample_rate = ctx->sample_rate;
    if (av_channel_layout_copy(&frame->ch_layout, &ctx->ch_layout) < 0 ||
        av_frame_get_buffer(frame, 0) < 0)
        goto fail;
    for (int i = 0; i < samples; i++)
        ((int16_t *)frame->data[0])[i] = (int16_t)((i * 977) % 16000 - 8000);
    if (avcodec_send_frame(ctx, frame) < 0 || avcodec_receive_packet(ctx, pkt) < 0)
        goto fail;
    capture_reset(f->cap);
    codec_depacketizer_free(&f->dp);
    if (codec_packetize(desc, pkt->data, pkt->size, 1200, capture_emit, f->cap) < 0 ||
        f->cap->n != 1 || !f->cap->marker[0] || f->cap->len[0] != (size_t)pkt->size ||
        memcmp(cap_payload(f->cap, 0), pkt->data, pkt->size))
        goto fail;
    if (codec_packetize(desc, pkt->data, pkt->size, pkt->size - 1, capture_emit, f->cap) !=
        AVERROR(EMSGSIZE) || f->cap->n != 1)
        goto fail;
    if (codec_depacketizer_alloc(&f->dp, desc) < 0 || codec_depacketizer_needs_keyframe(f->dp))
        goto fail;
    /* Each payload is a frame at once; a loss before one changes nothing. */
    for (int k = 0; k < 3; k++) {
        if (push(f, pkt->data, pkt->size, 960 * k, k == 0, k == 2 ? 4 : 0) != 1 ||
            f->out->size != pkt->size || memcmp(f->out->data, pkt->data, pkt->size) ||
            f->out->pts != 960 * k || !(f->out->flags & AV_PKT_FLAG_KEY))
            goto fail;
    }
    ret = codec_depacketizer_broken_frames(f->dp) == 0 ? 0 : -1;
fail:
    av_packet_free(&pkt);
    av_frame_free(&frame);
    avcodec_free_context(&ctx);
    av_log_set_level(level);
    return ret;
}

static int audio_checks(struct fixture *f)
{
    TEST_CHECK(alloc_fixture(f, NULL) == 0);
    TEST_CHECK(audio_roundtrip(f, &codec_opus, 48000, 960) == 0);
    TEST_CHECK(audio_roundtrip(f, &codec_pcmu, 8000, 160) == 0);
    TEST_CHECK(audio_roundtrip(f, &codec_pcma, 8000, 160) == 0);
    TEST_CHECK(audio_roundtrip(f, &codec_g722, 16000, 320) == 0);
    return 0;
}

static int sdp_checks(struct fixture *f)
{
    struct codec_depacketizer *d = NULL;

    (void)f;
    TEST_CHECK(codec_find_sdp("H264", 90000) == &codec_h264);
    TEST_CHECK(codec_find_sdp("h264", 90000) == &codec_h264);
    TEST_CHECK(codec_find_sdp("H264", 8000) == NULL);
    TEST_CHECK(codec_find_sdp("VP8", 90000) == &codec_vp8);
    TEST_CHECK(codec_find_sdp("H263-1998", 90000) == &codec_h263p);
    TEST_CHECK(codec_find_sdp("h263-2000", 90000) == &codec_h263p);
    TEST_CHECK(codec_find_sdp("OPUS", 48000) == &codec_opus);
    TEST_CHECK(codec_find_sdp("PCMU", 8000) == &codec_pcmu);
    TEST_CHECK(codec_find_sdp("pcma", 8000) == &codec_pcma);
    TEST_CHECK(codec_find_sdp("G722", 8000) == &codec_g722);
    TEST_CHECK(codec_find_sdp("MPEG4-GENERIC", 48000) == NULL);
    TEST_CHECK(codec_find_sdp("H265", 90000) == NULL);
    TEST_CHECK(codec_find_sdp(NULL, 90000) == NULL);
    TEST_CHECK(codec_packetize(&codec_aac, (const uint8_t *)"x", 1, 1200, capture_emit, NULL) ==
               AVERROR(ENOSYS));
    TEST_CHECK(codec_depacketizer_alloc(&d, &codec_aac) == AVERROR(ENOSYS) && !d);
    TEST_CHECK(codec_fmtp_int("profile-level-id=42e01f;packetization-mode=1", "packetization-mode", 0) == 1);
    TEST_CHECK(codec_fmtp_int(" Packetization-Mode = 0 ;x=1", "packetization-mode", 1) == 0);
    TEST_CHECK(codec_fmtp_int("packetization-mode=", "packetization-mode", 7) == 7);
    TEST_CHECK(codec_fmtp_int("packetization-mode=1x", "packetization-mode", 7) == 7);
    TEST_CHECK(codec_fmtp_int("xpacketization-mode=1", "packetization-mode", 7) == 7);
    TEST_CHECK(codec_fmtp_int(NULL, "packetization-mode", 7) == 7);
    TEST_CHECK(codec_h264.default_fmtp && strstr(codec_h264.default_fmtp, "packetization-mode=1"));
    return 0;
}

static int frame_append_checks(struct fixture *f)
{
    struct codec_frame fr = { 0 };
    static uint8_t block[1 << 16];
    size_t cap0;

    (void)f;
    memset(block, 0xab, sizeof(block));
    TEST_CHECK(codec_frame_append(&fr, block, 3) == 0 && fr.len == 3 && fr.cap >= 3);
    cap0 = fr.cap;
    for (int i = 0; i < 64; i++)
        if (codec_frame_append(&fr, block, sizeof(block)) < 0)
            break;
    TEST_CHECK(fr.len == 3 + 64 * sizeof(block) && fr.cap > cap0);
    TEST_CHECK(fr.data[fr.len - 1] == 0xab);
    /* Past CODEC_FRAME_MAX: refused, frame unchanged. */
    for (size_t left = CODEC_FRAME_MAX - fr.len; left >= sizeof(block); left -= sizeof(block))
        TEST_CHECK(codec_frame_append(&fr, block, sizeof(block)) == 0);
    TEST_CHECK(fr.cap <= CODEC_FRAME_MAX + 2 * AV_INPUT_BUFFER_PADDING_SIZE);
    cap0 = fr.len;
    TEST_CHECK(codec_frame_append(&fr, block, sizeof(block)) == AVERROR(ENOSPC) && fr.len == cap0);
    TEST_CHECK(codec_frame_append(&fr, block, CODEC_FRAME_MAX - fr.len) == 0);
    TEST_CHECK(fr.len == CODEC_FRAME_MAX);
    TEST_CHECK(codec_frame_append(&fr, block, 1) == AVERROR(ENOSPC));
    TEST_CHECK(codec_frame_append(&fr, NULL, (size_t)-1) == AVERROR(EINVAL));
    codec_frame_release(&fr);
    TEST_CHECK(!fr.data && !fr.len && !fr.cap);
    return 0;
}

static int dtmf_checks(struct fixture *f)
{
    static const uint8_t two[] = { 11, 0x8a, 0x03, 0x20, 5, 0x0a, 0x00, 0xa0 };
    struct dtmf_event ev = { .event = 9, .end = 1, .volume = 10, .duration = 1600 }, back;
    uint8_t buf[4];

    (void)f;
    TEST_CHECK(dtmf_event_build(buf, sizeof(buf), &ev) == 4);
    TEST_CHECK(buf[0] == 9 && buf[1] == 0x8a && buf[2] == 0x06 && buf[3] == 0x40);
    TEST_CHECK(dtmf_event_parse(&back, buf, 4) == 1);
    TEST_CHECK(back.event == 9 && back.end == 1 && back.volume == 10 && back.duration == 1600);
    TEST_CHECK(dtmf_event_parse(&back, two, sizeof(two)) == 2);
    TEST_CHECK(back.event == 11 && back.end && back.volume == 10 && back.duration == 800);
    TEST_CHECK(dtmf_event_parse(&back, two + 4, 4) == 1);
    TEST_CHECK(back.event == 5 && !back.end && back.volume == 10 && back.duration == 160);
    TEST_CHECK(dtmf_event_parse(&back, two, 3) == AVERROR_INVALIDDATA);
    TEST_CHECK(dtmf_event_parse(&back, two, 5) == AVERROR_INVALIDDATA);
    TEST_CHECK(dtmf_event_parse(&back, two, 0) == AVERROR_INVALIDDATA);
    ev.volume = 64;
    TEST_CHECK(dtmf_event_build(buf, sizeof(buf), &ev) == AVERROR(EINVAL));
    ev.volume = 0;
    ev.duration = 70000;
    TEST_CHECK(dtmf_event_build(buf, sizeof(buf), &ev) == AVERROR(EINVAL));
    ev.duration = 0;
    TEST_CHECK(dtmf_event_build(buf, 3, &ev) == AVERROR(ENOSPC));
    TEST_CHECK(dtmf_event_char(0) == '0' && dtmf_event_char(9) == '9');
    TEST_CHECK(dtmf_event_char(10) == '*' && dtmf_event_char(11) == '#');
    TEST_CHECK(dtmf_event_char(12) == 'A' && dtmf_event_char(15) == 'D');
    TEST_CHECK(dtmf_event_char(16) == 0 && dtmf_event_char(-1) == 0);
    TEST_CHECK(dtmf_char_event('#') == 11 && dtmf_char_event('d') == 15 && dtmf_char_event('x') == -1);
    for (int e = 0; e < 16; e++)
        TEST_CHECK(dtmf_char_event(dtmf_event_char(e)) == e);
    return 0;
}

/* ffmpeg as an independent H.264 RTP sender: resources of the receiving side. */
struct interop {
    int sock, rtcp_sock;             /* RTP on an even port; RTCP (port + 1) ignored */
    FILE *pipe;
    AVCodecContext *dec;
    AVFrame *frame;
    int decoded, bad_size, packets;
    int kinds[32];                   /* payloads per NAL/aggregate type */
};

static int interop_decode(struct interop *io, const AVPacket *pkt)
{
    int ret = avcodec_send_packet(io->dec, pkt);

    if (ret < 0 && ret != AVERROR_EOF)
        return ret;
    while ((ret = avcodec_receive_frame(io->dec, io->frame)) >= 0) {
        if (io->frame->width == W && io->frame->height == H)
            io->decoded++;
        else
            io->bad_size++;
        av_frame_unref(io->frame);
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

/* Parses the fixed RTP header by hand and feeds the payload on. */
static int interop_packet(struct interop *io, struct fixture *f, const uint8_t *b, size_t len,
                          int *expect_seq)
{
    size_t off = 12;
    uint16_t seq;
    int lost = 0, r;

    if (len < 12 || (b[0] >> 6) != 2 || (b[1] & 0x7f) != 96)
        return 0;
    off += 4 * (b[0] & 0x0f);
    if ((b[0] & 0x10) && len >= off + 4)
        off += 4 + 4 * ((size_t)b[off + 2] << 8 | b[off + 3]);
    else if (b[0] & 0x10)
        return AVERROR_INVALIDDATA;
    if ((b[0] & 0x20) && len > off && b[len - 1] <= len - off)
        len -= b[len - 1];
    if (off > len)
        return AVERROR_INVALIDDATA;
    seq = (uint16_t)(b[2] << 8 | b[3]);
    if (*expect_seq >= 0 && seq != (uint16_t)*expect_seq)
        lost = (uint16_t)(seq - *expect_seq);
    *expect_seq = (uint16_t)(seq + 1);
    io->packets++;
    if (len > off)
        io->kinds[b[off] & 0x1f]++;
    r = codec_depacketizer_push(f->dp, b + off, len - off,
                                (uint32_t)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7],
                                b[1] >> 7, lost, f->out);
    if (r < 0)
        return r;
    return r ? interop_decode(io, f->out) : 0;
}

static int interop_receive(struct interop *io, struct fixture *f)
{
    uint8_t buf[2048];
    struct timespec t0, t;
    int expect_seq = -1, pipe_open = 1, ret;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pfd[2] = { { io->sock, POLLIN, 0 }, { fileno(io->pipe), POLLIN, 0 } };
        ssize_t n;

        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 10)
            return AVERROR(ETIMEDOUT);
        if (poll(pfd, pipe_open ? 2 : 1, pipe_open ? 200 : 0) < 0 && errno != EINTR)
            return AVERROR(errno);
        if (pipe_open && (pfd[1].revents & (POLLIN | POLLHUP)) &&
            read(fileno(io->pipe), buf, sizeof(buf)) <= 0)
            pipe_open = 0;                   /* ffmpeg has exited */
        while ((n = recv(io->sock, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
            ret = interop_packet(io, f, buf, (size_t)n, &expect_seq);
            if (ret < 0)
                return ret;
        }
        if (!pipe_open)
            break;
    }
    return interop_decode(io, NULL);
}

/* Binds io->sock and io->rtcp_sock to a free pair of loopback ports P, P + 1. */
static int interop_bind(struct interop *io, struct sockaddr_in *addr)
{
    for (int tries = 0; tries < 50; tries++) {
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t alen = sizeof(a);
        int rcvbuf = 4 << 20;

        if (io->sock >= 0)
            close(io->sock);
        if (io->rtcp_sock >= 0)
            close(io->rtcp_sock);
        io->sock = socket(AF_INET, SOCK_DGRAM, 0);
        io->rtcp_sock = socket(AF_INET, SOCK_DGRAM, 0);
        if (io->sock < 0 || io->rtcp_sock < 0)
            return AVERROR(errno);
        setsockopt(io->sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(io->sock, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            getsockname(io->sock, (struct sockaddr *)&a, &alen) < 0)
            return AVERROR(errno);
        *addr = a;
        a.sin_port = htons((uint16_t)(ntohs(a.sin_port) + 1));
        if (ntohs(addr->sin_port) % 2 == 0 &&
            bind(io->rtcp_sock, (struct sockaddr *)&a, sizeof(a)) == 0)
            return 0;
    }
    return AVERROR(EADDRINUSE);
}

static int interop_checks(struct fixture *f, struct interop *io)
{
    struct sockaddr_in addr;
    char cmd[512];

    TEST_CHECK(alloc_fixture(f, &codec_h264) == 0);
    TEST_CHECK(interop_bind(io, &addr) == 0);
    io->dec = avcodec_alloc_context3(avcodec_find_decoder(AV_CODEC_ID_H264));
    io->frame = av_frame_alloc();
    TEST_CHECK(io->dec && io->frame && avcodec_open2(io->dec, NULL, NULL) == 0);
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -hide_banner -loglevel error -nostdin -f lavfi "
             "-i testsrc2=s=320x240:r=25:d=1 -pix_fmt yuv420p -c:v libx264 -preset ultrafast "
             "-g 25 -bsf:v h264_mp4toannexb -f rtp -payload_type 96 rtp://127.0.0.1:%d "
             ">/dev/null 2>&1; echo done",
             ntohs(addr.sin_port));
    io->pipe = popen(cmd, "r");
    TEST_CHECK(io->pipe);
    TEST_CHECK(interop_receive(io, f) == 0);
    printf("    ffmpeg interop: %d RTP packets (%d FU-A, %d STAP-A), %d frames decoded\n",
           io->packets, io->kinds[28], io->kinds[24], io->decoded);
    TEST_CHECK(io->kinds[28] > 0);
    TEST_CHECK(io->decoded == 25 && io->bad_size == 0);
    TEST_CHECK(codec_depacketizer_broken_frames(f->dp) == 0);
    return 0;
}

static int test_ffmpeg_interop(void)
{
    struct fixture f = { 0 };
    struct interop io = { .sock = -1, .rtcp_sock = -1 };
    int ret;

    if (system("ffmpeg -hide_banner -version >/dev/null 2>&1") != 0) {
        printf("    note: ffmpeg not found, interop check skipped\n");
        return 0;
    }
    ret = interop_checks(&f, &io);
    if (io.pipe)
        pclose(io.pipe);
    if (io.sock >= 0)
        close(io.sock);
    if (io.rtcp_sock >= 0)
        close(io.rtcp_sock);
    av_frame_free(&io.frame);
    avcodec_free_context(&io.dec);
    fixture_free(&f);
    return ret;
}

#define FIXTURE_TEST(name)                        \
    static int test_##name(void)                  \
    {                                             \
        struct fixture f = { 0 };                 \
        int ret = name##_checks(&f);              \
        fixture_free(&f);                         \
        return ret;                               \
    }

FIXTURE_TEST(frame_append)
FIXTURE_TEST(h264_roundtrip)
FIXTURE_TEST(h264_mode0)
FIXTURE_TEST(h264_stap)
FIXTURE_TEST(h264_loss)
FIXTURE_TEST(vp8_roundtrip)
FIXTURE_TEST(vp8_timestamp)
FIXTURE_TEST(h263p_roundtrip)
FIXTURE_TEST(malformed)
FIXTURE_TEST(audio)
FIXTURE_TEST(sdp)
FIXTURE_TEST(dtmf)

static const struct test_case payload_cases[] = {
    { "frame_append", test_frame_append },
    { "h264_roundtrip_fu_a", test_h264_roundtrip },
    { "h264_mode0_refuses_fu_a", test_h264_mode0 },
    { "h264_stap_a", test_h264_stap },
    { "h264_loss_and_keyframe", test_h264_loss },
    { "vp8_roundtrip", test_vp8_roundtrip },
    { "vp8_timestamp_change", test_vp8_timestamp },
    { "h263p_roundtrip", test_h263p_roundtrip },
    { "malformed_payloads", test_malformed },
    { "audio_one_to_one", test_audio },
    { "sdp_names_fmtp", test_sdp },
    { "telephone_event", test_dtmf },
    { "ffmpeg_h264_interop", test_ffmpeg_interop },
    { NULL, NULL },
};

const struct test_suite payload_suite = { "payload", payload_cases };
