/* A profile at run time: its encoders, the conversions into them, and fan-out of
 * each packet to every sink of the profile. Audio conversion is in
 * profile_out_audio.c, the caption track in profile_out_captions.c. */
#include <string.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>
#include "codecs/codec.h"
#include "mixer/fanout.h"
#include "mixer/log.h"
#include "mixer/profile_out_priv.h"
#include "mixer/sink.h"

static int profile_out_open_video(struct profile_out *p)
{
    const struct codec_desc *desc = codec_find(p->def.video_codec);
    struct codec_params params = {
        .width = p->def.width, .height = p->def.height, .fps = p->def.fps,
        .bitrate = p->def.video_bitrate, .gop = p->def.gop ? p->def.gop : 2 * p->def.fps,
        .global_header = 1,
    };
    int ret;

    if (!desc)
        return AVERROR_ENCODER_NOT_FOUND;
    ret = codec_open_encoder(&p->enc[p->enc_count], desc, &params);
    if (ret < 0) {
        log_error("profile %s: cannot open %s encoder: %s", p->def.name, desc->name, av_err2str(ret));
        return ret;
    }
    p->video_index = p->enc_count++;
    if (p->def.width != p->in.canvas_width || p->def.height != p->in.canvas_height) {
        p->sws = sws_getContext(p->in.canvas_width, p->in.canvas_height, AV_PIX_FMT_YUV420P,
                                p->def.width, p->def.height, AV_PIX_FMT_YUV420P,
                                SWS_BILINEAR, NULL, NULL, NULL);
        if (!p->sws)
            return AVERROR(ENOMEM);
    }
    return 0;
}

int profile_out_alloc(struct profile_out **out, const struct profile_def *def,
                      const struct profile_out_input *in)
{
    struct profile_out *p = av_mallocz(sizeof(*p));
    int ret;

    if (!p)
        return AVERROR(ENOMEM);
    p->def = *def;
    p->in = *in;
    p->video_index = p->audio_index = p->caption_index = -1;
    p->next_video_index = 0;
    p->last_forced_keyframe = -(int64_t)def->fps;
    p->pkt = av_packet_alloc();
    if (!p->pkt || fanout_alloc(&p->fanout) < 0) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if (def->video_codec[0] && (ret = profile_out_open_video(p)) < 0)
        goto fail;
    if (def->audio_codec[0] && (ret = profile_out_open_audio(p)) < 0)
        goto fail;
    if (in->with_captions && def->captions_track && (ret = profile_out_open_captions(p)) < 0)
        goto fail;
    *out = p;
    return 0;
fail:
    profile_out_free(&p);
    return ret;
}

void profile_out_free(struct profile_out **pp)
{
    struct profile_out *p = *pp;

    if (!p)
        return;
    for (int i = 0; i < p->sink_count; i++)
        sink_free(&p->sinks[i]);
    for (int i = 0; i < p->enc_count; i++)
        avcodec_free_context(&p->enc[i]);
    sws_freeContext(p->sws);
    profile_out_close_audio(p);
    av_packet_free(&p->pkt);
    fanout_free(&p->fanout);
    av_free(p);
    *pp = NULL;
}

int profile_out_add_sink(struct profile_out *p, struct sink *s)
{
    int ret = 0;

    if (p->sink_count >= PROFILE_OUT_MAX_SINKS) {
        sink_free(&s);
        return AVERROR(ENOSPC);
    }
    if (p->started) {
        ret = sink_open(s, p->enc, p->enc_count);
        if (ret < 0) {
            sink_free(&s);
            return ret;
        }
    }
    s->fanout = p->fanout;
    p->sinks[p->sink_count++] = s;
    return ret;
}

int profile_out_pause_sink(struct profile_out *p, int sink_id, int paused)
{
    for (int i = 0; i < p->sink_count; i++) {
        if (p->sinks[i]->id != sink_id)
            continue;
        if (p->sinks[i]->paused && !paused)
            profile_out_request_keyframe(p);
        p->sinks[i]->paused = paused;
        return 0;
    }
    return AVERROR(ENOENT);
}

struct sink *profile_out_take_sink(struct profile_out *p, struct sink *s)
{
    for (int i = 0; i < p->sink_count; i++) {
        if (p->sinks[i] != s)
            continue;
        memmove(p->sinks + i, p->sinks + i + 1, (size_t)(p->sink_count - i - 1) * sizeof(p->sinks[0]));
        p->sink_count--;
        return s;
    }
    return NULL;
}

int profile_out_remove_sink(struct profile_out *p, int sink_id)
{
    for (int i = 0; i < p->sink_count; i++) {
        if (p->sinks[i]->id != sink_id)
            continue;
        sink_free(&p->sinks[i]);
        memmove(p->sinks + i, p->sinks + i + 1, (size_t)(p->sink_count - i - 1) * sizeof(p->sinks[0]));
        p->sink_count--;
        return 0;
    }
    return AVERROR(ENOENT);
}

int profile_out_start(struct profile_out *p)
{
    for (int i = 0; i < p->sink_count; i++) {
        int ret = sink_open(p->sinks[i], p->enc, p->enc_count);
        if (ret < 0)
            return ret;
    }
    p->started = 1;
    return 0;
}

/* Sends every packet the encoder has ready to every sink. */
int profile_out_drain(struct profile_out *p, int index)
{
    AVCodecContext *enc = p->enc[index];
    int ret;

    while ((ret = avcodec_receive_packet(enc, p->pkt)) >= 0) {
        if (index == p->video_index)
            p->stats.video_bytes += p->pkt->size;
        else
            p->stats.audio_bytes += p->pkt->size;
        fanout_begin_packet(p->fanout, index);
        for (int i = 0; i < p->sink_count; i++)
            sink_write(p->sinks[i], p->pkt, index);
        av_packet_unref(p->pkt);
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static int profile_out_scale(struct profile_out *p, AVFrame *canvas, AVFrame **out)
{
    AVFrame *f = av_frame_alloc();
    int ret;

    if (!f)
        return AVERROR(ENOMEM);
    f->format = AV_PIX_FMT_YUV420P;
    f->width = p->def.width;
    f->height = p->def.height;
    ret = av_frame_get_buffer(f, 0);
    if (ret < 0)
        goto fail;
    sws_scale(p->sws, (const uint8_t *const *)canvas->data, canvas->linesize, 0,
              canvas->height, f->data, f->linesize);
    *out = f;
    return 0;
fail:
    av_frame_free(&f);
    return ret;
}

int profile_out_push_video(struct profile_out *p, AVFrame *canvas, int64_t tick)
{
    AVFrame *frame = NULL;
    int64_t index;
    int ret;

    if (p->video_index < 0)
        return 0;
    /* The frame of the profile's rate that this canvas tick starts, if any. */
    index = av_rescale(tick, p->def.fps, p->in.canvas_fps);
    if (index < p->next_video_index)
        return 0;
    if (p->sws) {
        ret = profile_out_scale(p, canvas, &frame);
        if (ret < 0)
            return ret;
    } else {
        frame = av_frame_clone(canvas);
        if (!frame)
            return AVERROR(ENOMEM);
    }
    frame->pts = index;
    for (int i = 0; i < p->sink_count; i++)
        if (sink_poll(p->sinks[i]))
            profile_out_request_keyframe(p);
    if (p->keyframe_requested && index - p->last_forced_keyframe >= p->def.fps) {
        /* One keyframe serves every receiver of the profile: at most one a second. */
        p->last_forced_keyframe = index;
        frame->pict_type = AV_PICTURE_TYPE_I;
        p->keyframe_requested = 0;
    } else {
        frame->pict_type = AV_PICTURE_TYPE_NONE;
    }
    p->next_video_index = index + 1;
    ret = avcodec_send_frame(p->enc[p->video_index], frame);
    av_frame_free(&frame);
    if (ret < 0) {
        log_error("profile %s: video encode: %s", p->def.name, av_err2str(ret));
        return ret;
    }
    p->stats.video_frames++;
    return profile_out_drain(p, p->video_index);
}

void profile_out_request_keyframe(struct profile_out *p)
{
    p->keyframe_requested = 1;
}

int profile_out_finish(struct profile_out *p, double end_time)
{
    int ret = 0;

    if (p->finished)
        return 0;
    p->finished = 1;
    if (p->audio_index >= 0)
        ret = profile_out_flush_audio(p);
    if (p->video_index >= 0) {
        avcodec_send_frame(p->enc[p->video_index], NULL);
        profile_out_drain(p, p->video_index);
    }
    profile_out_end_captions(p, end_time);
    for (int i = 0; i < p->sink_count; i++) {
        int r = sink_close(p->sinks[i]);
        if (r < 0 && ret >= 0)
            ret = r;
    }
    return ret;
}

const struct profile_def *profile_out_def(const struct profile_out *p)
{
    return &p->def;
}

void profile_out_get_stats(const struct profile_out *p, struct profile_out_stats *st)
{
    *st = p->stats;
    st->sink_count = p->sink_count;
}

struct sink *profile_out_sink(const struct profile_out *p, int i)
{
    return i >= 0 && i < p->sink_count ? p->sinks[i] : NULL;
}
