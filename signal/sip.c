/* The SIP user agent: sofia-sip's NUA on its own thread, dial-in calls to rooms. */

/*
 * Threads. sofia-sip runs its own event loop (an su_root). sip_start() starts a
 * pthread that creates the root and the NUA stack (which binds UDP and TCP),
 * reports success or failure back through a condition variable, then runs
 * su_root_run(). The stack, its handles and the call table are touched on that
 * thread only. Rooms and participants belong to the libevent loop thread: each
 * INVITE, ACK and hang-up calls into them through loop_call_run() (signal/
 * sip_room.c), which blocks the SIP thread for the milliseconds a participant
 * takes to set up; the loop thread never waits on the SIP thread while the loop
 * runs.
 *
 * Shutdown: once the libevent loop stopped, the loop thread closes loop_call (a
 * call from the SIP thread then fails at once instead of waiting for a loop that
 * no longer runs), then sip_stop() posts an su_msg to the SIP thread, which calls
 * nua_shutdown(): a BYE to every call, each failing after SIP_BYE_TIMEOUT_MS
 * without an answer. When the stack reports its shutdown done, the SIP thread
 * breaks its root, destroys the stack and ends (after SIP_SHUTDOWN_MS it ends
 * anyway, leaving the stack); the loop thread joins it and frees what the calls
 * still held (pending late offers); the rooms free their participants next. The
 * SDP is ours (NUTAG_MEDIA_ENABLE(0)): sofia's offer/answer engine is not used.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <libavutil/mem.h>

#include <sofia-sip/su_config.h>
struct sip;
struct sip_call;
#define SU_ROOT_MAGIC_T struct sip
#define SU_TIMER_ARG_T struct sip
#define SU_MSG_ARG_T struct sip
#define NUA_MAGIC_T struct sip
#define NUA_HMAGIC_T struct sip_call
#include <sofia-sip/su.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/msg_addr.h>

#include "mixer/keybox.h"
#include "mixer/log.h"
#include "signal/loop_call.h"
#include "signal/participant.h"
#include "signal/server.h"
#include "signal/sip.h"
#include "signal/sip_dial.h"
#include "signal/sip_probe.h"
#include "signal/sip_room.h"

#define SIP_MAX_CALLS 256
#define SIP_BYE_TIMEOUT_MS 2000          /* at shutdown: a BYE unanswered this long fails */
#define SIP_SHUTDOWN_MS 5000             /* then the stack must be done */
#define SIP_KEYS_MS 100                  /* how often waiting calls' keys are read */
#define SIP_PIN_TRIES 3                  /* wrong PINs before we hang up */
#define SIP_RATE_SLOTS 64                /* source addresses the INVITE limit tracks */
#define SIP_DIAL_QUEUE 32                /* dial-out orders (and hang-ups) waiting for the SIP thread */
#define SIP_AUTH_TRIES 1                 /* digest challenges answered per dialled call */

/* A call we dialled (dial-out): its id in sip_dial.c's list and its progress. */
struct sip_outgoing {
    int id;                              /* 0: a dial-in call */
    int answered;                        /* a 2xx came */
    int over;                            /* "failed" or "ended" reported */
    int ringing;                         /* "ringing" reported */
    int64_t deadline_ms;                 /* unanswered then: CANCEL */
    int timeout_s;
    int auth_tries;
    char auth_user[64], auth_password[128], auth_realm[128];
    char end_reason[128];                /* why we hung up, "" : the callee did */
    int end_status;
};

/* RTP seen from a call's participant (media timeout). */
struct sip_media_watch {
    uint64_t packets;                    /* RTP datagrams at the last change */
    int64_t seen_ms;                     /* when they last changed (0: not yet watched) */
};

/* One call: its handle and its place in a room. */
struct sip_call {
    nua_handle_t *nh;
    char from[128];                      /* the caller, for log lines */
    struct sip_room_call room;
    char last_sdp[SIP_ROOM_SDP_SIZE];    /* what we sent last (re-INVITE answers) */
    uint64_t sdp_version;                /* its o= version */
    int waiting;                         /* keying in the PIN (room.keys set) */
    int64_t waiting_since_ms;            /* when it started waiting (sip_now_ms) */
    char pin[16];                        /* keys so far, before '#' */
    int pin_tries;                       /* wrong PINs so far */
    int held;                            /* on hold (as applied to the media) */
    int video_off;                       /* our last answer does not send video */
    int video_paused;                    /* no room video sent (as applied) */
    int hung_up;                         /* we sent BYE (room gone, PIN or media time limit) */
    struct sip_outgoing out;             /* dial-out only */
    struct sip_media_watch media;
};

/* New INVITEs from one source address in the current second. */
struct sip_rate {
    char addr[64];
    int64_t window_ms;                   /* start of the second */
    int count;
};

struct sip {
    struct server *server;
    char url[128];
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int state;                           /* 0 starting, 1 running, < 0 failed */
    /* SIP thread only, once running */
    su_root_t *root;
    nua_t *nua;
    su_timer_t *stop_timer;
    su_timer_t *keys_timer;              /* reads waiting calls' keys */
    struct sip_rate rates[SIP_RATE_SLOTS];
    int stopping, stopped;
    unsigned ticks;                      /* keys timer runs */
    struct sip_call *calls[SIP_MAX_CALLS];
    int call_count;
    /* dial-out requests from the loop thread, under lock */
    struct sip_dial_order *orders[SIP_DIAL_QUEUE];
    int order_count;
    int hang_ups[SIP_DIAL_QUEUE];
    int hang_up_count;
    atomic_uint_fast64_t media_timeouts;
};

static int64_t sip_now_ms(void);

/* ---- the call table ---- */

static struct sip_call *sip_call_new(struct sip *sip, nua_handle_t *nh)
{
    struct sip_call *call;

    if (sip->call_count >= SIP_MAX_CALLS || !(call = av_mallocz(sizeof(*call))))
        return NULL;
    call->nh = nh;
    sip->calls[sip->call_count++] = call;
    return call;
}

static void sip_call_free(struct sip *sip, struct sip_call *call)
{
    for (int i = 0; i < sip->call_count; i++)
        if (sip->calls[i] == call) {
            sip->calls[i] = sip->calls[--sip->call_count];
            break;
        }
    if (call->nh)
        nua_handle_bind(call->nh, NULL);
    keybox_unref(&call->room.keys);
    av_free(call);
}

/* The call leaves its room (participant removed, pending offer freed). */
static void sip_call_leave(struct sip *sip, struct sip_call *call)
{
    if (call->room.participant_id || call->room.pending)
        loop_call_run(sip->server->calls, sip_room_leave, &call->room);
}

/* ---- helpers ---- */

static int sip_is_sdp(const sip_t *msg)
{
    return msg->sip_content_type && msg->sip_content_type->c_type &&
           !strcasecmp(msg->sip_content_type->c_type, "application/sdp");
}

/* A Warning header value (RFC 3261 20.43) carrying text. */
static void sip_make_warning(char *out, size_t size, const char *text)
{
    size_t n = (size_t)snprintf(out, size, "399 tessera \"");

    for (const char *p = text; *p && n + 3 < size; p++)
        out[n++] = *p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ? ' ' : *p;
    out[n++] = '"';
    out[n] = '\0';
}

static void sip_respond_error(nua_handle_t *nh, int status, const char *reason)
{
    char warning[300];

    sip_make_warning(warning, sizeof(warning), reason);
    nua_respond(nh, status, sip_status_phrase(status), SIPTAG_WARNING_STR(warning),
                TAG_IF(status == 415, SIPTAG_ACCEPT_STR("application/sdp")), TAG_END());
}

static void sip_respond_sdp(nua_handle_t *nh, const char *sdp)
{
    nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
                TAG_END());
}

/* The room asked for (the Request-URI's user part, unescaped) and the caller's
 * name (From display name, else its user part). */
static void sip_call_identify(struct sip_call *call, const sip_t *msg)
{
    const url_t *ru = msg->sip_request ? msg->sip_request->rq_url : NULL;
    const sip_from_t *from = msg->sip_from;
    char *text;

    if (ru && ru->url_user && (text = av_strdup(ru->url_user))) {
        url_unescape(text, text);
        sip_room_clean_text(text, call->room.target, sizeof(call->room.target));
        av_free(text);
    }
    if (from && from->a_display && (text = msg_unquote_dup(NULL, from->a_display))) {
        sip_room_clean_text(text, call->room.name, sizeof(call->room.name));
        su_free(NULL, text);
    }
    if (!call->room.name[0] && from && from->a_url->url_user && (text = av_strdup(from->a_url->url_user))) {
        url_unescape(text, text);
        sip_room_clean_text(text, call->room.name, sizeof(call->room.name));
        av_free(text);
    }
    if (from)
        snprintf(call->from, sizeof(call->from), "%s%s%s", from->a_url->url_user ? from->a_url->url_user : "",
                 from->a_url->url_user ? "@" : "", from->a_url->url_host ? from->a_url->url_host : "?");
}

/* ---- requests ---- */

static void sip_on_invite(struct sip *sip, nua_handle_t *nh, const sip_t *msg)
{
    struct sip_call *call;
    int has_sdp = msg->sip_payload && msg->sip_payload->pl_len > 0;

    if (sip->stopping) {
        sip_respond_error(nh, 503, "shutting down");
        return;
    }
    if (has_sdp && !sip_is_sdp(msg)) {
        log_warn("sip: INVITE refused: 415, its body is not application/sdp");
        sip_respond_error(nh, 415, "the INVITE body is not application/sdp");
        return;
    }
    call = sip_call_new(sip, nh);
    if (!call) {
        log_warn("sip: INVITE refused: %d calls already", sip->call_count);
        sip_respond_error(nh, 503, "too many calls");
        return;
    }
    sip_call_identify(call, msg);
    call->room.sdp = has_sdp ? msg->sip_payload->pl_data : NULL;
    call->room.sdp_len = has_sdp ? msg->sip_payload->pl_len : 0;
    if (loop_call_run(sip->server->calls, sip_room_join, &call->room) < 0) {
        call->room.status = 503;
        snprintf(call->room.reason, sizeof(call->room.reason), "shutting down");
    }
    call->room.sdp = NULL;
    if (call->room.status != 200) {
        log_warn("sip: call from %s to \"%s\" refused: %d %s", call->from, call->room.target,
                 call->room.status, call->room.reason);
        sip_respond_error(nh, call->room.status, call->room.reason);
        sip_call_free(sip, call);
        return;
    }
    nua_handle_bind(nh, call);
    snprintf(call->last_sdp, sizeof(call->last_sdp), "%s", call->room.local_sdp);
    call->sdp_version = 1;
    call->waiting = call->room.keys != NULL;
    call->video_paused = call->waiting;  /* a waiting participant starts without video */
    call->waiting_since_ms = sip_now_ms();
    if (call->waiting)
        log_info("sip: call from %s to room %s waits for its PIN (keys then #, %d s)", call->from,
                 call->room.room, sip->server->cfg.sip_pin_timeout_s);
    if (call->room.pending)
        log_info("sip: call from %s to room %s: INVITE without SDP, our offer goes in the 200, "
                 "the answer is expected in the ACK", call->from, call->room.room);
    else
        log_info("sip: call from %s (\"%s\") answered in room %s as participant %d", call->from,
                 call->room.name, call->room.room, call->room.participant_id);
    sip_respond_sdp(nh, call->room.local_sdp);
}

/* A late offer's answer comes with the ACK. */
static void sip_on_ack(struct sip *sip, struct sip_call *call, const sip_t *msg)
{
    if (!call->room.pending)
        return;
    if (!msg || !msg->sip_payload || !msg->sip_payload->pl_len || !sip_is_sdp(msg)) {
        log_warn("sip: call from %s: the ACK has no SDP answer to our offer; hanging up", call->from);
        sip_call_leave(sip, call);
        nua_bye(call->nh, SIPTAG_REASON_STR("SIP;cause=488;text=\"no SDP answer in the ACK\""), TAG_END());
        return;
    }
    call->room.sdp = msg->sip_payload->pl_data;
    call->room.sdp_len = msg->sip_payload->pl_len;
    if (loop_call_run(sip->server->calls, sip_room_complete, &call->room) < 0) {
        call->room.status = 503;
        snprintf(call->room.reason, sizeof(call->room.reason), "shutting down");
    }
    call->room.sdp = NULL;
    if (call->room.status != 200) {
        log_warn("sip: call from %s: the answer in the ACK is refused (%s); hanging up", call->from,
                 call->room.reason);
        sip_call_leave(sip, call);
        nua_bye(call->nh, SIPTAG_REASON_STR("SIP;cause=488;text=\"answer refused\""), TAG_END());
        return;
    }
    log_info("sip: call from %s (\"%s\") joined room %s as participant %d (late offer)", call->from,
             call->room.name, call->room.room, call->room.participant_id);
}

/* Applies hold (or resume) to the call's media: its voice out of the mix, no
 * audio sent to it (RFC 3264: a sendonly or inactive offer). */
static void sip_call_hold(struct sip *sip, struct sip_call *call, int held)
{
    if (held == call->held)
        return;
    call->room.held = held;
    if (loop_call_run(sip->server->calls, sip_room_hold, &call->room) < 0 || call->room.status != 200) {
        log_warn("sip: call from %s: cannot apply %s to its media", call->from, held ? "hold" : "resume");
        return;
    }
    call->held = held;
    log_info("sip: call from %s %s (participant %d)", call->from, held ? "on hold" : "resumed",
             call->room.participant_id);
}

/* Sends the room's video to the call, or stops: none while it waits for its PIN
 * or while our answer does not send video (hold). */
static void sip_call_video(struct sip *sip, struct sip_call *call)
{
    const int paused = call->waiting || call->video_off;

    if (paused == call->video_paused)
        return;
    call->room.video_paused = paused;
    if (loop_call_run(sip->server->calls, sip_room_video, &call->room) < 0 || call->room.status != 200) {
        log_warn("sip: call from %s: cannot %s its video", call->from, paused ? "stop" : "resume");
        return;
    }
    call->video_paused = paused;
    log_debug("sip: call from %s: room video %s", call->from, paused ? "stopped" : "resumed");
}

/* re-INVITE: answered with our SDP, directions mirrored; hold applied to the media. */
static void sip_on_reinvite(struct sip *sip, struct sip_call *call, const sip_t *msg)
{
    char *answer = NULL, err[256] = "";
    int has_sdp = msg->sip_payload && msg->sip_payload->pl_len > 0;
    int ret;

    if (call->room.pending) {
        sip_respond_error(call->nh, 491, "our offer is still waiting for its answer");
        return;
    }
    if (has_sdp && !sip_is_sdp(msg)) {
        sip_respond_error(call->nh, 415, "the re-INVITE body is not application/sdp");
        return;
    }
    if (!has_sdp) {
        log_info("sip: call from %s: re-INVITE without SDP, our SDP offered again", call->from);
        sip_respond_sdp(call->nh, call->last_sdp);
        return;
    }
    answer = av_malloc(SIP_ROOM_SDP_SIZE);
    ret = answer ? sip_room_reanswer(call->room.local_sdp, msg->sip_payload->pl_data,
                                     msg->sip_payload->pl_len, call->sdp_version, answer,
                                     SIP_ROOM_SDP_SIZE, err, sizeof(err)) : AVERROR(ENOMEM);
    if (ret >= 0 && strcmp(answer, call->last_sdp))
        ret = sip_room_reanswer(call->room.local_sdp, msg->sip_payload->pl_data, msg->sip_payload->pl_len,
                                ++call->sdp_version, answer, SIP_ROOM_SDP_SIZE, err, sizeof(err));
    if (ret < 0) {
        log_warn("sip: call from %s: re-INVITE refused (488): %s", call->from, err[0] ? err : "no memory");
        sip_respond_error(call->nh, 488, err[0] ? err : "no memory");
    } else {
        snprintf(call->last_sdp, sizeof(call->last_sdp), "%s", answer);
        log_info("sip: call from %s: re-INVITE answered (o= version %llu)", call->from,
                 (unsigned long long)call->sdp_version);
        sip_respond_sdp(call->nh, answer);
        sip_call_hold(sip, call, sip_room_offer_holds(msg->sip_payload->pl_data, msg->sip_payload->pl_len));
        call->video_off = !sip_room_sdp_sends(answer, "video");
        sip_call_video(sip, call);
    }
    av_free(answer);
}

/* ---- keys: PIN entry and SIP INFO ---- */

/* A key of a waiting call: collected until '#', then the PIN is checked. Right:
 * the participant is admitted; wrong SIP_PIN_TRIES times: BYE. */
static void sip_call_pin_key(struct sip *sip, struct sip_call *call, char key)
{
    size_t n = strlen(call->pin);

    if (key != '#') {
        if (n + 1 < sizeof(call->pin)) {
            call->pin[n] = key;
            call->pin[n + 1] = '\0';
        }
        return;
    }
    if (!strcmp(call->pin, sip->server->cfg.sip_pin)) {
        call->pin[0] = '\0';
        if (loop_call_run(sip->server->calls, sip_room_admit, &call->room) < 0 || call->room.status != 200) {
            log_warn("sip: call from %s: right PIN but its participant is gone", call->from);
            return;
        }
        call->waiting = 0;
        keybox_unref(&call->room.keys);
        sip_call_video(sip, call);
        log_info("sip: call from %s: right PIN, admitted to room %s as participant %d", call->from,
                 call->room.room, call->room.participant_id);
        return;
    }
    call->pin[0] = '\0';
    call->pin_tries++;
    log_warn("sip: call from %s: wrong PIN (%d of %d)", call->from, call->pin_tries, SIP_PIN_TRIES);
    if (call->pin_tries < SIP_PIN_TRIES) {
        if (loop_call_run(sip->server->calls, sip_room_wrong_pin, &call->room) < 0 || call->room.status != 200)
            log_warn("sip: call from %s: cannot play it the wrong-PIN prompt", call->from);
        return;
    }
    call->waiting = 0;
    sip_call_leave(sip, call);
    nua_bye(call->nh, SIPTAG_REASON_STR("SIP;cause=403;text=\"wrong PIN\""), TAG_END());
}

/* A waiting call that has not keyed the right PIN within sip_pin_timeout_s is
 * hung up (BYE, Reason 403). */
static void sip_call_pin_timeout(struct sip *sip, struct sip_call *call, int64_t now)
{
    const int timeout_s = sip->server->cfg.sip_pin_timeout_s;

    if (!call->waiting || call->hung_up || now - call->waiting_since_ms < (int64_t)timeout_s * 1000)
        return;
    log_warn("sip: call from %s: no right PIN within %d s; hanging up", call->from, timeout_s);
    call->waiting = 0;
    call->hung_up = 1;
    sip_call_leave(sip, call);
    nua_bye(call->nh, SIPTAG_REASON_STR("SIP;cause=403;text=\"PIN not entered in time\""), TAG_END());
}

/* Calls whose room was deleted (or whose participant was removed through the API)
 * are hung up with a BYE. */
static void sip_hang_up_orphans(struct sip *sip)
{
    for (int i = 0; i < sip->call_count; i++) {
        struct sip_call *call = sip->calls[i];

        if (!call->room.participant_id || call->hung_up)
            continue;
        if (loop_call_run(sip->server->calls, sip_room_check, &call->room) < 0 || call->room.status != 404)
            continue;
        log_info("SIP call from %s: room %s or its participant is gone; hanging up", call->from,
                 call->room.room);
        call->room.participant_id = 0;
        call->hung_up = 1;
        nua_bye(call->nh, SIPTAG_REASON_STR("SIP;cause=410;text=\"room closed\""), TAG_END());
    }
}

/* ---- dial-out and call supervision ---- */

static int64_t sip_now_ms(void);

/* Tells the loop thread (sip_dial.c) how dialled call id is doing. */
static void sip_dial_tell(struct sip *sip, int id, const char *state, int status, const char *reason,
                          int participant_id, struct participant_pending *pending)
{
    struct sip_dial_report rep = { .id = id, .state = state, .status = status,
                                   .participant_id = participant_id, .pending = pending };

    snprintf(rep.reason, sizeof(rep.reason), "%s", reason ? reason : "");
    if (loop_call_run(sip->server->calls, sip_dial_report, &rep) < 0 && pending)
        log_warn("sip: dialled call %d: the loop has stopped; its offer's ports stay open until exit", id);
}

static void sip_dial_report_call(struct sip *sip, struct sip_call *call, const char *state, int status,
                                 const char *reason)
{
    if (call->out.over)
        return;
    call->out.over = !strcmp(state, "failed") || !strcmp(state, "ended");
    sip_dial_tell(sip, call->out.id, state, status, reason, call->room.participant_id, NULL);
}

/* Sends the INVITE of a dial-out order (taken). */
static void sip_dial_start(struct sip *sip, struct sip_dial_order *o)
{
    struct sip_call *call = sip_call_new(sip, NULL);
    nua_handle_t *nh = NULL;

    if (call)
        nh = nua_handle(sip->nua, call, NUTAG_URL(o->uri), SIPTAG_TO_STR(o->uri), SIPTAG_FROM_STR(o->from),
                        TAG_END());
    if (!nh) {
        log_warn("sip: cannot dial %s: %s", o->uri, call ? "invalid URI or From" : "too many calls");
        sip_dial_tell(sip, o->id, "failed", call ? 400 : 503, call ? "invalid URI or From" : "too many calls",
                      0, o->pending);
        if (call)
            sip_call_free(sip, call);
        av_free(o);
        return;
    }
    call->nh = nh;
    snprintf(call->from, sizeof(call->from), "%s", o->uri + 4);
    snprintf(call->room.name, sizeof(call->room.name), "%s", o->name);
    snprintf(call->room.room, sizeof(call->room.room), "%s", o->room);
    call->room.room_serial = o->room_serial;
    call->room.pending = o->pending;
    snprintf(call->room.local_sdp, sizeof(call->room.local_sdp), "%s", o->offer);
    snprintf(call->last_sdp, sizeof(call->last_sdp), "%s", o->offer);
    call->sdp_version = 1;
    call->out.id = o->id;
    call->out.timeout_s = o->timeout_s;
    call->out.deadline_ms = sip_now_ms() + (int64_t)o->timeout_s * 1000;
    snprintf(call->out.auth_user, sizeof(call->out.auth_user), "%s", o->auth_user);
    snprintf(call->out.auth_password, sizeof(call->out.auth_password), "%s", o->auth_password);
    snprintf(call->out.auth_realm, sizeof(call->out.auth_realm), "%s", o->auth_realm);
    log_info("sip: dialling %s for room %s (call %d)", o->uri, o->room, o->id);
    nua_invite(nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(o->offer), TAG_END());
    av_free(o);
}

/* A digest challenge (401/407) to our INVITE: answered with the call's account,
 * SIP_AUTH_TRIES times at most (a challenge after ours: refused). Returns 1 when
 * answered. */
static int sip_dial_authenticate(struct sip_call *call, int status, const sip_t *msg)
{
    const msg_auth_t *au = !msg ? NULL : status == 401 ? msg->sip_www_authenticate : msg->sip_proxy_authenticate;
    const char *realm = au ? msg_params_find(au->au_params, "realm=") : NULL;
    char quoted[160], cred[512];

    if (!au || !call->out.auth_user[0] || call->out.auth_tries >= SIP_AUTH_TRIES)
        return 0;
    if (call->out.auth_realm[0]) {
        snprintf(quoted, sizeof(quoted), "\"%s\"", call->out.auth_realm);
        realm = quoted;
    }
    if (!realm)
        return 0;
    snprintf(cred, sizeof(cred), "%s:%s:%s:%s", au->au_scheme, realm, call->out.auth_user, call->out.auth_password);
    call->out.auth_tries++;
    log_info("sip: call to %s: %d challenge for realm %s, answering as %s", call->from, status, realm,
             call->out.auth_user);
    nua_authenticate(call->nh, NUTAG_AUTH(cred), TAG_END());
    return 1;
}

/* The 2xx to our INVITE: the participant comes from the answer (ACK sent by the
 * stack); without an answer we can use, BYE. */
static void sip_dial_answered(struct sip *sip, struct sip_call *call, const sip_t *msg)
{
    char reason[300], *p;
    int has_sdp = msg && msg->sip_payload && msg->sip_payload->pl_len > 0 && sip_is_sdp(msg);

    call->out.answered = 1;
    if (has_sdp) {
        call->room.sdp = msg->sip_payload->pl_data;
        call->room.sdp_len = msg->sip_payload->pl_len;
        if (loop_call_run(sip->server->calls, sip_room_complete, &call->room) < 0) {
            call->room.status = 503;
            snprintf(call->room.reason, sizeof(call->room.reason), "shutting down");
        }
        call->room.sdp = NULL;
    } else {
        call->room.status = 488;
        snprintf(call->room.reason, sizeof(call->room.reason), "the 200 OK has no SDP answer");
    }
    if (call->room.status != 200) {
        log_warn("sip: call to %s answered, but %s; hanging up", call->from, call->room.reason);
        snprintf(reason, sizeof(reason), "SIP;cause=488;text=\"%.200s", call->room.reason);
        for (p = strchr(reason, '"') + 1; *p; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
                *p = '\'';
        snprintf(p, sizeof(reason) - (size_t)(p - reason), "\"");
        sip_call_leave(sip, call);
        nua_bye(call->nh, SIPTAG_REASON_STR(reason), TAG_END());
        sip_dial_report_call(sip, call, "failed", 488, call->room.reason);
        return;
    }
    call->media.seen_ms = sip_now_ms();
    log_info("sip: call to %s (\"%s\") answered: participant %d of room %s", call->from, call->room.name,
             call->room.participant_id, call->room.room);
    sip_dial_report_call(sip, call, "connected", 200, "answered");
}

/* nua_r_invite: progress, challenges, the answer or the failure of a call we dialled. */
static void sip_dial_on_response(struct sip *sip, struct sip_call *call, int status, const char *phrase,
                                 const sip_t *msg)
{
    char reason[256];

    if (!call || !call->out.id || call->out.over || call->out.answered)
        return;
    if ((status == 401 || status == 407) && sip_dial_authenticate(call, status, msg))
        return;
    if (status >= 100 && status < 200) {
        if ((status == 180 || status == 183) && !call->out.ringing) {
            call->out.ringing = 1;
            sip_dial_report_call(sip, call, "ringing", status, phrase);
        }
        return;
    }
    if (status >= 200 && status < 300) {
        sip_dial_answered(sip, call, msg);
        return;
    }
    snprintf(reason, sizeof(reason), "%s%s", phrase ? phrase : "",
             (status == 401 || status == 407) ? (call->out.auth_user[0] ? " (credentials refused)"
                                                                         : " (no sip_accounts entry)") : "");
    log_warn("sip: call to %s failed: %d %s", call->from, status, reason);
    sip_dial_report_call(sip, call, "failed", status, reason);
    if (status == 401 || status == 407) {
        /* the stack keeps a challenged call for nua_authenticate(): end it here */
        sip_call_leave(sip, call);
        nua_handle_bind(call->nh, NULL);
        nua_handle_destroy(call->nh);
        call->nh = NULL;
        if (!call->room.pending)
            sip_call_free(sip, call);
    }
}

/* nua_i_state terminated of a dialled call, before it leaves its room. */
static void sip_dial_on_end(struct sip *sip, struct sip_call *call, int status, const char *phrase)
{
    char reason[256];

    if (call->out.answered) {
        snprintf(reason, sizeof(reason), "%s", call->out.end_reason[0] ? call->out.end_reason :
                 call->hung_up ? "room deleted or participant removed" : "the callee hung up");
        sip_dial_report_call(sip, call, "ended", call->out.end_status ? call->out.end_status : 200, reason);
    } else {
        snprintf(reason, sizeof(reason), "%s", phrase && *phrase ? phrase : "call ended before an answer");
        sip_dial_report_call(sip, call, "failed", status >= 300 ? status : 500, reason);
    }
}

/* Cancels (unanswered) or hangs up (answered) a dialled call, for `reason`. */
static void sip_dial_stop(struct sip *sip, struct sip_call *call, const char *state, int status,
                          const char *reason)
{
    if (!call->out.answered) {
        sip_dial_report_call(sip, call, state, status, reason);
        nua_cancel(call->nh, TAG_END());
        return;
    }
    snprintf(call->out.end_reason, sizeof(call->out.end_reason), "%s", reason);
    call->out.end_status = status;
    if (call->room.participant_id) {
        sip_call_leave(sip, call);
        call->hung_up = 1;
        nua_bye(call->nh, TAG_END());
    }
}

/* DELETE /rooms/{id}/dial/{callid}: CANCEL or BYE, unless the call is over. */
static void sip_dial_hang_up_call(struct sip *sip, int id)
{
    for (int i = 0; i < sip->call_count; i++) {
        struct sip_call *call = sip->calls[i];

        if (call->out.id != id || !call->nh || call->out.over)
            continue;
        log_info("sip: call to %s: hanging up (API)", call->from);
        sip_dial_stop(sip, call, "ended", call->out.answered ? 200 : 487,
                      call->out.answered ? "hung up through the API" : "cancelled through the API");
    }
}

/* Every tick: the orders and hang-ups the loop thread queued, and the unanswered
 * calls whose time is up (CANCEL, "failed" 408). */
static void sip_dial_tick(struct sip *sip)
{
    struct sip_dial_order *orders[SIP_DIAL_QUEUE];
    int hang_ups[SIP_DIAL_QUEUE], order_count, hang_up_count;
    int64_t now = sip_now_ms();

    if (sip->stopping)
        return;                          /* sip_stop() frees what is queued */
    pthread_mutex_lock(&sip->lock);
    order_count = sip->order_count;
    hang_up_count = sip->hang_up_count;
    memcpy(orders, sip->orders, sizeof(orders[0]) * (size_t)order_count);
    memcpy(hang_ups, sip->hang_ups, sizeof(hang_ups[0]) * (size_t)hang_up_count);
    sip->order_count = sip->hang_up_count = 0;
    pthread_mutex_unlock(&sip->lock);
    for (int i = 0; i < order_count; i++)
        sip_dial_start(sip, orders[i]);
    for (int k = 0; k < hang_up_count; k++)
        sip_dial_hang_up_call(sip, hang_ups[k]);
    for (int i = 0; i < sip->call_count; i++) {
        struct sip_call *call = sip->calls[i];
        char reason[64];

        if (!call->out.id || call->out.answered || call->out.over || now < call->out.deadline_ms || !call->nh)
            continue;
        snprintf(reason, sizeof(reason), "no answer within %d s", call->out.timeout_s);
        log_warn("sip: call to %s: %s; cancelling", call->from, reason);
        sip_dial_stop(sip, call, "failed", 408, reason);
    }
}

/* A call whose participant received no RTP for sip_media_timeout_s (a held call
 * is exempt): BYE with Reason SIP;cause=408, participant removed, counted. */
static void sip_check_media(struct sip *sip, struct sip_call *call, const struct sip_probe *probe, int64_t now)
{
    const int timeout_s = sip->server->cfg.sip_media_timeout_s;

    if (!call->media.seen_ms || call->held || probe->rtp_packets != call->media.packets) {
        call->media.packets = probe->rtp_packets;
        call->media.seen_ms = now;
        return;
    }
    if (!timeout_s || now - call->media.seen_ms < (int64_t)timeout_s * 1000)
        return;
    log_warn("sip: call %s %s (participant %d, room %s): no RTP for %d s; hanging up (media timeout)",
             call->out.id ? "to" : "from", call->from, call->room.participant_id, call->room.room, timeout_s);
    atomic_fetch_add(&sip->media_timeouts, 1);
    snprintf(call->out.end_reason, sizeof(call->out.end_reason), "media timeout: no RTP for %d s", timeout_s);
    call->out.end_status = 408;
    sip_call_leave(sip, call);
    call->hung_up = 1;
    nua_bye(call->nh, SIPTAG_REASON_STR("SIP;cause=408;text=\"media timeout\""), TAG_END());
}

/* Once a second: media timeouts, and unanswered dialled calls whose room was deleted. */
static void sip_supervise(struct sip *sip)
{
    const int64_t now = sip_now_ms();

    for (int i = 0; i < sip->call_count && !sip->stopping; i++) {
        struct sip_call *call = sip->calls[i];
        struct sip_probe probe = { .room_serial = call->room.room_serial, .participant_id = call->room.participant_id };
        int dialling = call->out.id && !call->out.answered && !call->out.over;

        if (!call->nh || call->hung_up || (!dialling && !call->room.participant_id))
            continue;
        snprintf(probe.room, sizeof(probe.room), "%s", call->room.room);
        if (loop_call_run(sip->server->calls, sip_probe_call, &probe) < 0)
            return;
        if (dialling && !probe.room_exists) {
            log_info("sip: call to %s: room %s deleted while dialling; cancelling", call->from, call->room.room);
            sip_dial_stop(sip, call, "failed", 410, "room deleted");
        } else if (!dialling && probe.present) {
            sip_check_media(sip, call, &probe, now);
        }
    }
}

/* Every SIP_KEYS_MS: the keys the rooms collected for waiting calls (RFC 4733),
 * and their PIN time limit; once a second, calls whose room went away and calls
 * whose media stopped. */
static void sip_on_keys_timer(struct sip *sip, su_timer_t *t, struct sip *arg)
{
    static const int checks_every = 1000 / SIP_KEYS_MS;
    const int64_t now = sip_now_ms();

    (void)t;
    (void)arg;
    if (++sip->ticks % checks_every == 0 && !sip->stopping)
        sip_hang_up_orphans(sip);
    if (sip->ticks % checks_every == 0 && !sip->stopping)
        sip_supervise(sip);
    sip_dial_tick(sip);
    for (int i = 0; i < sip->call_count; i++) {
        struct sip_call *call = sip->calls[i];
        char keys[32];
        int n = call->waiting && call->room.keys ? keybox_take(call->room.keys, keys, sizeof(keys)) : 0;

        for (int k = 0; k < n && call->waiting; k++)
            sip_call_pin_key(sip, call, keys[k]);
        if (!sip->stopping)
            sip_call_pin_timeout(sip, call, now);
    }
}

/* INFO in a call: a DTMF key (application/dtmf-relay or application/dtmf) is
 * answered 200 and handled like an RFC 4733 one; another body 415. */
static void sip_on_info(struct sip *sip, nua_handle_t *nh, struct sip_call *call, const sip_t *msg)
{
    const char *type = msg && msg->sip_content_type ? msg->sip_content_type->c_type : NULL;
    char key = msg && msg->sip_payload ? sip_room_info_key(type, msg->sip_payload->pl_data,
                                                           msg->sip_payload->pl_len) : 0;

    if (!call) {
        nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(sip->nua), TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    if (!key) {
        log_warn("sip: call from %s: INFO without a DTMF key (%s); 415", call->from, type ? type : "no body");
        nua_respond(nh, SIP_415_UNSUPPORTED_MEDIA, NUTAG_WITH_THIS(sip->nua),
                    SIPTAG_ACCEPT_STR("application/dtmf-relay, application/dtmf"), TAG_END());
        return;
    }
    nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(sip->nua), TAG_END());
    log_debug("sip: call from %s: a key by INFO", call->from);
    if (call->waiting) {
        sip_call_pin_key(sip, call, key);
        return;
    }
    call->room.key = key;
    if (call->room.participant_id &&
        (loop_call_run(sip->server->calls, sip_room_dtmf, &call->room) < 0 || call->room.status != 200))
        log_warn("sip: call from %s: key %c not delivered (participant gone)", call->from, key);
}

/* ---- INVITE rate limit ---- */

static int64_t sip_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a new INVITE from the current request's source address is within
 * sip_invite_rate per second (a fixed one-second window per address; the least
 * recently used of SIP_RATE_SLOTS addresses is forgotten first). */
static int sip_rate_allow(struct sip *sip, char *addr, size_t addr_size)
{
    msg_t *req = nua_current_request(sip->nua);
    su_addrinfo_t *ai = req ? msg_addrinfo(req) : NULL;
    struct sip_rate *slot = NULL, *oldest = &sip->rates[0];
    int64_t now = sip_now_ms();

    snprintf(addr, addr_size, "?");
    if (!ai || !ai->ai_addr ||
        getnameinfo(ai->ai_addr, (socklen_t)ai->ai_addrlen, addr, (socklen_t)addr_size, NULL, 0, NI_NUMERICHOST))
        return 1;
    for (int i = 0; i < SIP_RATE_SLOTS && !slot; i++) {
        if (!strcmp(sip->rates[i].addr, addr))
            slot = &sip->rates[i];
        else if (sip->rates[i].window_ms < oldest->window_ms)
            oldest = &sip->rates[i];
    }
    if (!slot) {
        slot = oldest;
        snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
        slot->window_ms = now;
        slot->count = 0;
    }
    if (now - slot->window_ms >= 1000) {
        slot->window_ms = now;
        slot->count = 0;
    }
    return ++slot->count <= sip->server->cfg.sip_invite_rate;
}

static void sip_on_state(struct sip *sip, int status, const char *phrase, nua_handle_t *nh,
                         struct sip_call *call, tagi_t tags[])
{
    int state = nua_callstate_init;

    tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
    if (state != nua_callstate_terminated)
        return;
    if (call) {
        if (call->out.id)
            sip_dial_on_end(sip, call, status, phrase);
        sip_call_leave(sip, call);
        log_info("sip: call %s %s in room %s ended (%d %s)", call->out.id ? "to" : "from", call->from,
                 call->room.room, status, phrase ? phrase : "");
        call->nh = NULL;
        call->waiting = 0;
        /* A late offer still pending: the loop has stopped (shutdown), sip_stop frees it. */
        if (!call->room.pending)
            sip_call_free(sip, call);
    }
    nua_handle_bind(nh, NULL);
    nua_handle_destroy(nh);
}

static void sip_on_event(nua_event_t event, int status, char const *phrase, nua_t *nua, struct sip *sip,
                         nua_handle_t *nh, struct sip_call *call, sip_t const *msg, tagi_t tags[])
{
    (void)nua;
    switch (event) {
    case nua_i_invite:
        if (!msg)
            break;
        if (call) {
            sip_on_reinvite(sip, call, msg);
        } else {
            char addr[64];
            if (sip_rate_allow(sip, addr, sizeof(addr))) {
                sip_on_invite(sip, nh, msg);
            } else {
                log_debug("sip: INVITE from %s refused: over sip_invite_rate", addr);
                nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
            }
        }
        break;
    case nua_r_invite:
        sip_dial_on_response(sip, call, status, phrase, msg);
        break;
    case nua_i_ack:
        if (call)
            sip_on_ack(sip, call, msg);
        break;
    case nua_i_state:
        sip_on_state(sip, status, phrase, nh, call, tags);
        break;
    case nua_i_bye:
    case nua_i_cancel:
        log_debug("sip: %s from %s", event == nua_i_bye ? "BYE" : "CANCEL", call ? call->from : "?");
        break;
    case nua_r_shutdown:
        if (status >= 200) {
            if (status >= 300)
                log_warn("sip: stack shutdown: %d %s", status, phrase ? phrase : "");
            sip->stopped = 1;
            su_root_break(sip->root);
        }
        break;
    case nua_i_error:
        log_warn("sip: %d %s", status, phrase ? phrase : "");
        break;
    case nua_i_info:
        sip_on_info(sip, nh, call, msg);
        break;
    case nua_i_options:
    case nua_i_message:
    case nua_i_refer:
    case nua_i_subscribe:
    case nua_i_notify:
    case nua_i_publish:
    case nua_i_register:
        /* answered by the stack; a handle made for an out-of-dialog request is not ours */
        if (!call && nh)
            nua_handle_destroy(nh);
        break;
    default:
        break;
    }
}

/* sofia-sip's own log lines (su_log), which come in pieces: one of ours per line. */
static void sip_sofia_log(void *stream, char const *fmt, va_list ap)
{
    static _Thread_local char line[512];
    static _Thread_local size_t len;
    char *nl;

    (void)stream;
    if (len < sizeof(line) - 1) {
        int n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
        len = n < 0 ? len : len + (size_t)n >= sizeof(line) ? sizeof(line) - 1 : len + (size_t)n;
    }
    while ((nl = memchr(line, '\n', len)) || len >= sizeof(line) - 1) {
        size_t n = nl ? (size_t)(nl - line) : len;
        if (n)
            log_info("sip: sofia-sip: %.*s", (int)n, line);
        n = nl ? n + 1 : len;
        memmove(line, line + n, len - n);
        len -= n;
    }
}

/* ---- the thread ---- */

/* Last resort: the stack did not finish its shutdown in time. */
static void sip_on_stop_timeout(struct sip *sip, su_timer_t *t, struct sip *arg)
{
    (void)t;
    (void)arg;
    log_error("sip: the SIP stack did not shut down within %d ms; its memory is left", SIP_SHUTDOWN_MS);
    su_root_break(sip->root);
}

/* Hangs up every call: nua_shutdown() sends the BYEs (each given SIP_BYE_TIMEOUT_MS
 * instead of the 32 s of timer F) and reports nua_r_shutdown 200 when all ended. */
static void sip_on_stop(struct sip *root_magic, su_msg_r msg, struct sip *arg)
{
    struct sip *sip = root_magic;

    (void)msg;
    (void)arg;
    if (sip->stopping)
        return;
    sip->stopping = 1;
    nua_set_params(sip->nua, NTATAG_SIP_T1X64(SIP_BYE_TIMEOUT_MS), TAG_END());
    sip->stop_timer = su_timer_create(su_root_task(sip->root), SIP_SHUTDOWN_MS);
    if (sip->stop_timer)
        su_timer_set(sip->stop_timer, sip_on_stop_timeout, sip);
    nua_shutdown(sip->nua);
}

static void sip_set_state(struct sip *sip, int state)
{
    pthread_mutex_lock(&sip->lock);
    sip->state = state;
    pthread_cond_broadcast(&sip->cond);
    pthread_mutex_unlock(&sip->lock);
}

static void *sip_thread(void *arg)
{
    struct sip *sip = arg;

    sip->root = su_root_create(sip);
    if (sip->root)
        sip->nua = nua_create(sip->root, sip_on_event, sip,
                              NUTAG_URL(sip->url),
                              NUTAG_MEDIA_ENABLE(0),
                              NUTAG_AUTOANSWER(0),
                              NUTAG_AUTOALERT(0),
                              NUTAG_SESSION_TIMER(0),
                              NUTAG_SESSION_REFRESHER(nua_remote_refresher),
                              NUTAG_ENABLEMESSAGE(0),
                              NUTAG_SHUTDOWN_EVENTS(1),
                              /* sofia's STUN miniserver leaks on every malformed request */
                              TPTAG_STUN_SERVER(0),
                              NUTAG_APPL_METHOD("INFO"),
                              SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"),
                              SIPTAG_SUPPORTED_STR("timer"),
                              SIPTAG_USER_AGENT_STR("tessera"),
                              TAG_END());
    if (!sip->nua) {
        if (sip->root)
            su_root_destroy(sip->root);
        sip->root = NULL;
        sip_set_state(sip, -1);
        return NULL;
    }
    sip->keys_timer = su_timer_create(su_root_task(sip->root), SIP_KEYS_MS);
    if (!sip->keys_timer || su_timer_run(sip->keys_timer, sip_on_keys_timer, sip) < 0)
        log_error("sip: no key timer: PIN entry by RFC 4733 will not work");
    sip_set_state(sip, 1);
    su_root_run(sip->root);
    if (sip->keys_timer)
        su_timer_destroy(sip->keys_timer);
    if (sip->stop_timer)
        su_timer_destroy(sip->stop_timer);
    if (!sip->stopped)
        return NULL;                     /* nua_destroy() refuses an unfinished shutdown */
    nua_destroy(sip->nua);
    su_root_destroy(sip->root);
    return NULL;
}

/* Binds (and closes) a UDP and a TCP socket on the SIP address and port, so that a
 * port in use is reported clearly (and nua_create, which leaks when its bind fails,
 * is not tried). Returns 0 or a negative code, logged. */
static int sip_probe_port(const char *addr, int port)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    socklen_t len;
    int v6 = strchr(addr, ':') != NULL;

    if (v6) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        len = sizeof(*in6);
    } else {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        len = sizeof(*in4);
    }
    if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, v6 ? (void *)&in6->sin6_addr : (void *)&in4->sin_addr) != 1) {
        log_error("sip: sip_address \"%s\" is not an IPv4 or IPv6 address", addr);
        return AVERROR(EINVAL);
    }
    for (int tcp = 0; tcp < 2; tcp++) {
        int fd = socket(ss.ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0), one = 1, err;

        if (fd < 0)
            return AVERROR(errno);
        if (tcp)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        err = bind(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
        close(fd);
        if (err) {
            log_error("sip: cannot listen on %s port %d (%s): %s", addr, port, tcp ? "TCP" : "UDP", strerror(err));
            return AVERROR(err);
        }
    }
    return 0;
}

int sip_start(struct sip **out, struct server *s)
{
    struct sip *sip = av_mallocz(sizeof(*sip));
    const char *addr = s->cfg.sip_address;
    int ret;

    if (!sip)
        return AVERROR(ENOMEM);
    sip->server = s;
    snprintf(sip->url, sizeof(sip->url), strchr(addr, ':') ? "sip:[%s]:%d" : "sip:%s:%d", addr,
             s->cfg.sip_port);
    pthread_mutex_init(&sip->lock, NULL);
    pthread_cond_init(&sip->cond, NULL);
    if ((ret = sip_probe_port(addr, s->cfg.sip_port)) < 0)
        goto fail;
    if (su_init() != 0) {
        log_error("sip: cannot initialise sofia-sip");
        ret = AVERROR_EXTERNAL;
        goto fail;
    }
    su_log_redirect(NULL, sip_sofia_log, NULL);
    ret = pthread_create(&sip->thread, NULL, sip_thread, sip);
    if (ret) {
        su_deinit();
        ret = AVERROR(ret);
        goto fail;
    }
    pthread_mutex_lock(&sip->lock);
    while (!sip->state)
        pthread_cond_wait(&sip->cond, &sip->lock);
    pthread_mutex_unlock(&sip->lock);
    if (sip->state < 0) {
        pthread_join(sip->thread, NULL);
        su_deinit();
        log_error("sip: cannot listen on %s (UDP and TCP): in use, or not a local address", sip->url);
        ret = AVERROR(EADDRINUSE);
        goto fail;
    }
    log_info("sip: listening on %s (UDP and TCP)", sip->url);
    *out = sip;
    return 0;
fail:
    pthread_cond_destroy(&sip->cond);
    pthread_mutex_destroy(&sip->lock);
    av_free(sip);
    return ret;
}

void sip_stop(struct sip **p)
{
    struct sip *sip = *p;
    su_msg_r msg = SU_MSG_R_INIT;

    if (!sip)
        return;
    if (su_msg_create(msg, su_root_task(sip->root), su_task_null, sip_on_stop, 0) == 0)
        su_msg_send(msg);
    else
        log_error("sip: cannot reach the SIP thread to stop it");
    pthread_join(sip->thread, NULL);
    su_deinit();
    /* The SIP thread has ended: what its calls and queue still hold is the loop thread's. */
    for (int i = 0; i < sip->order_count; i++) {
        participant_pending_free(&sip->orders[i]->pending);
        av_free(sip->orders[i]);
    }
    for (int i = 0; i < sip->call_count; i++) {
        participant_pending_free(&sip->calls[i]->room.pending);
        keybox_unref(&sip->calls[i]->room.keys);
        av_free(sip->calls[i]);
    }
    pthread_cond_destroy(&sip->cond);
    pthread_mutex_destroy(&sip->lock);
    av_free(sip);
    *p = NULL;
}

int sip_dial(struct sip *sip, struct sip_dial_order *order)
{
    int ret = AVERROR(EAGAIN);

    pthread_mutex_lock(&sip->lock);
    if (sip->order_count < SIP_DIAL_QUEUE) {
        sip->orders[sip->order_count++] = order;
        ret = 0;
    }
    pthread_mutex_unlock(&sip->lock);
    if (ret < 0) {
        participant_pending_free(&order->pending);
        av_free(order);
    }
    return ret;
}

int sip_dial_hang_up(struct sip *sip, int id)
{
    int ret = AVERROR(EAGAIN);

    pthread_mutex_lock(&sip->lock);
    if (sip->hang_up_count < SIP_DIAL_QUEUE) {
        sip->hang_ups[sip->hang_up_count++] = id;
        ret = 0;
    }
    pthread_mutex_unlock(&sip->lock);
    return ret;
}

uint64_t sip_media_timeouts(const struct sip *sip)
{
    return sip ? atomic_load(&sip->media_timeouts) : 0;
}
