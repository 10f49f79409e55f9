/* libFuzzer target: rtcp_parse on hostile compounds, and build/parse round trips of what it found. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/rtcp.h"
#include "net/rtp.h"

#define FUZZ_CHECK(c) do { if (!(c)) abort(); } while (0)

static int same_reports(const struct rtcp_info *a, const struct rtcp_info *b)
{
    if (a->report_count != b->report_count)
        return 0;
    for (int i = 0; i < a->report_count; i++) {
        const struct rtcp_report_block *x = &a->reports[i], *y = &b->reports[i];

        if (x->ssrc != y->ssrc || x->fraction_lost != y->fraction_lost ||
            x->cumulative_lost != y->cumulative_lost || x->highest_seq != y->highest_seq ||
            x->jitter != y->jitter || x->lsr != y->lsr || x->dlsr != y->dlsr)
            return 0;
    }
    return 1;
}

static void round_trip_reports(const struct rtcp_info *info, uint8_t *buf, size_t cap)
{
    struct rtcp_info again;
    int len;

    if (info->has_sr)
        len = rtcp_build_sr(buf, cap, &info->sr, info->reports, info->report_count);
    else if (info->report_count)
        len = rtcp_build_rr(buf, cap, info->reporter_ssrc, info->reports, info->report_count);
    else
        return;
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(rtcp_parse(&again, buf, (size_t)len) == 0);
    FUZZ_CHECK(same_reports(info, &again));
    FUZZ_CHECK(!info->has_sr || !memcmp(&info->sr, &again.sr, sizeof(info->sr)));
}

static void round_trip_nacks(const struct rtcp_info *info, uint8_t *buf, size_t cap)
{
    static uint8_t want[65536], got[65536];
    struct rtcp_info again;
    int len;

    if (!info->nack_count)
        return;
    len = rtcp_build_nack(buf, cap, 1, info->nack_media_ssrc, info->nacks, info->nack_count);
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(rtcp_parse(&again, buf, (size_t)len) == 0);
    FUZZ_CHECK(again.nack_media_ssrc == info->nack_media_ssrc);
    for (int i = 0; i < info->nack_count; i++)
        want[info->nacks[i]] = 1;
    for (int i = 0; i < again.nack_count; i++)
        got[again.nacks[i]] = 1;
    for (int i = 0; i < info->nack_count; i++)
        FUZZ_CHECK(got[info->nacks[i]]);
    for (int i = 0; i < again.nack_count; i++)
        FUZZ_CHECK(want[again.nacks[i]]);
    for (int i = 0; i < info->nack_count; i++)
        want[info->nacks[i]] = got[info->nacks[i]] = 0;
    for (int i = 0; i < again.nack_count; i++)
        want[again.nacks[i]] = got[again.nacks[i]] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[8192];
    struct rtcp_info info, again;
    int len;

    (void)rtp_is_rtcp(data, size);
    if (rtcp_parse(&info, data, size) < 0)
        return 0;
    FUZZ_CHECK(strlen(info.cname) < sizeof(info.cname));
    FUZZ_CHECK(info.report_count >= 0 && info.report_count <= RTCP_MAX_REPORTS);
    FUZZ_CHECK(info.nack_count >= 0 && info.nack_count <= RTCP_MAX_NACKS);
    round_trip_reports(&info, buf, sizeof(buf));
    round_trip_nacks(&info, buf, sizeof(buf));
    if (info.cname[0]) {
        len = rtcp_build_sdes_cname(buf, sizeof(buf), 1, info.cname);
        FUZZ_CHECK(len > 0 && len % 4 == 0);
        FUZZ_CHECK(rtcp_parse(&again, buf, (size_t)len) == 0 && !strcmp(again.cname, info.cname));
    }
    if (info.fir) {
        len = rtcp_build_fir(buf, sizeof(buf), 1, info.fir_media_ssrc, info.fir_seq);
        FUZZ_CHECK(rtcp_parse(&again, buf, (size_t)len) == 0 && again.fir_seq == info.fir_seq);
    }
    return 0;
}
