/* A profile's caption track: each cue encoded as a mov_text subtitle packet (MP4),
 * so a player can switch captions off and an indexer can read them. */
#include <string.h>
#include <libavutil/avstring.h>
#include <libavutil/bprint.h>
#include <libavutil/mem.h>
#include "mixer/log.h"
#include "mixer/profile_out_priv.h"
#include "mixer/sink.h"

/* The style the mov_text encoder needs; players apply their own. */
static const char caption_ass_header[] =
    "[Script Info]\r\n"
    "ScriptType: v4.00+\r\n"
    "PlayResX: 384\r\n"
    "PlayResY: 288\r\n"
    "\r\n"
    "[V4+ Styles]\r\n"
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
    "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
    "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\r\n"
    "Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\r\n"
    "\r\n"
    "[Events]\r\n"
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\r\n";

static int profile_out_caption_container_ok(const struct profile_def *def)
{
    return !strcmp(def->format, "mp4") || !strcmp(def->format, "mov");
}

int profile_out_open_captions(struct profile_out *p)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MOV_TEXT);
    AVCodecContext *enc;
    int ret;

    if (!profile_out_caption_container_ok(&p->def))
        return 0;
    if (!codec)
        return AVERROR_ENCODER_NOT_FOUND;
    enc = avcodec_alloc_context3(codec);
    if (!enc)
        return AVERROR(ENOMEM);
    enc->time_base = (AVRational){ 1, 1000 };
    enc->subtitle_header = (uint8_t *)av_strdup(caption_ass_header);
    enc->subtitle_header_size = sizeof(caption_ass_header) - 1;
    if (!enc->subtitle_header) {
        avcodec_free_context(&enc);
        return AVERROR(ENOMEM);
    }
    ret = avcodec_open2(enc, codec, NULL);
    if (ret < 0) {
        log_error("profile %s: cannot open the caption encoder: %s", p->def.name, av_err2str(ret));
        avcodec_free_context(&enc);
        return ret;
    }
    p->caption_index = p->enc_count;
    p->enc[p->enc_count++] = enc;
    return 0;
}

/* ASS dialogue text: newlines become \N. Returns a malloc'd string or NULL. */
static char *profile_out_caption_ass(const char *text)
{
    AVBPrint bp;
    char *out = NULL;

    av_bprint_init(&bp, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&bp, "0,0,Default,,0,0,0,,");
    for (const char *c = text; *c; c++) {
        if (*c == '\n')
            av_bprintf(&bp, "\\N");
        else if (*c != '\r')
            av_bprint_chars(&bp, *c, 1);
    }
    av_bprint_finalize(&bp, &out);
    return out;
}

/* Hands one subtitle sample (borrowed bytes) to every sink of the profile. */
static void profile_out_write_caption(struct profile_out *p, uint8_t *data, int size,
                                      int64_t pts_ms, int64_t duration_ms)
{
    p->pkt->data = data;
    p->pkt->size = size;
    p->pkt->pts = p->pkt->dts = pts_ms;
    p->pkt->duration = duration_ms;
    p->pkt->flags = AV_PKT_FLAG_KEY;
    for (int i = 0; i < p->sink_count; i++)
        sink_write(p->sinks[i], p->pkt, p->caption_index);
    p->pkt->data = NULL;
    p->pkt->size = 0;
    av_packet_unref(p->pkt);
}

int profile_out_push_caption(struct profile_out *p, double start, double end, const char *text)
{
    AVCodecContext *enc;
    AVSubtitleRect rect = { 0 };
    AVSubtitleRect *rects[1] = { &rect };
    AVSubtitle sub = { 0 };
    uint8_t buf[4096];
    int size, ret = 0;

    if (p->caption_index < 0 || end <= start)
        return 0;
    enc = p->enc[p->caption_index];
    rect.type = SUBTITLE_ASS;
    rect.ass = profile_out_caption_ass(text);
    if (!rect.ass)
        return AVERROR(ENOMEM);
    sub.num_rects = 1;
    sub.rects = rects;
    sub.start_display_time = 0;
    sub.end_display_time = (uint32_t)((end - start) * 1000);
    sub.pts = (int64_t)(start * AV_TIME_BASE);
    size = avcodec_encode_subtitle(enc, buf, sizeof(buf), &sub);
    if (size < 0) {
        log_warn("profile %s: caption dropped: %s", p->def.name, av_err2str(size));
        goto done;
    }
    if (end > p->caption_end)
        p->caption_end = end;
    profile_out_write_caption(p, buf, size, (int64_t)(start * 1000), (int64_t)((end - start) * 1000));
    p->stats.captions++;
done:
    av_free(rect.ass);
    return ret;
}

/* An empty sample at the end of the media, so the caption track does not outlast
 * the video (the MP4 muxer would otherwise stretch its last filler sample). */
void profile_out_end_captions(struct profile_out *p, double end_time)
{
    uint8_t empty[2] = { 0, 0 };

    if (p->caption_index < 0 || p->stats.captions == 0)
        return;
    /* Never before a cue's end: the MP4 muxer needs non-decreasing sample times. */
    if (end_time < p->caption_end)
        end_time = p->caption_end;
    profile_out_write_caption(p, empty, sizeof(empty), (int64_t)(end_time * 1000), 0);
}
