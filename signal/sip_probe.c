/* The loop-thread probe of a SIP call's room and participant (media timeouts,
 * rooms deleted under a ringing call). */
#include <string.h>
#include "net/rtp_endpoint.h"
#include "signal/server.h"
#include "signal/sip_probe.h"

void sip_probe_call(struct server *s, void *arg)
{
    struct sip_probe *p = arg;
    const struct server_room *r = server_find_room(s, p->room);

    p->room_exists = r && r->serial == p->room_serial;
    p->present = 0;
    p->rtp_packets = 0;
    for (int i = 0; p->room_exists && p->participant_id && i < r->participant_count; i++) {
        const struct server_participant *sp = &r->participants[i];

        if (sp->id != p->participant_id)
            continue;
        p->present = 1;
        for (int k = 0; k < sp->endpoint_count; k++) {
            struct rtp_endpoint_stats st;
            rtp_endpoint_get_stats(sp->endpoints[k], &st);
            p->rtp_packets += st.rtp_received;
        }
    }
}
