/* What the SIP thread's call supervision asks of the loop thread once a second:
 * whether a call's room still exists and how much RTP its participant received. */
#ifndef TESSERA_SIP_PROBE_H
#define TESSERA_SIP_PROBE_H

#include <stdint.h>

struct server;

struct sip_probe {
    /* in */
    char room[64];
    uint64_t room_serial;
    int participant_id;          /* 0: only the room is looked at */
    /* out */
    int room_exists;             /* the room (that serial) is live */
    int present;                 /* the participant is in it */
    uint64_t rtp_packets;        /* RTP datagrams its endpoints received (not RTCP) */
};

/* loop_call_fn (arg: struct sip_probe). */
void sip_probe_call(struct server *s, void *arg);

#endif
