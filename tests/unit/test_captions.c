/* Unit tests of the WebVTT parser and the caption track. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libavutil/error.h>
#include "mixer/captions.h"
#include "test.h"

static char err[256];

static struct caption_track *parse(const char *vtt)
{
    struct caption_track *t = NULL;
    if (caption_track_parse_vtt(&t, vtt, strlen(vtt), err, sizeof(err)) < 0) {
        fprintf(stderr, "    parse error: %s\n", err);
        return NULL;
    }
    return t;
}

/* Parsing must fail with AVERROR_INVALIDDATA and a message holding `needle`. */
static int parse_fails(const char *vtt, const char *needle)
{
    struct caption_track *t = NULL;
    int ret = caption_track_parse_vtt(&t, vtt, strlen(vtt), err, sizeof(err));
    if (ret != AVERROR_INVALIDDATA || t || !strstr(err, needle)) {
        fprintf(stderr, "    ret %d, message \"%s\", want \"%s\"\n", ret, err, needle);
        caption_track_free(&t);
        return 0;
    }
    return 1;
}

static int str_eq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static int test_two_speakers(void)
{
    struct caption_track *t = parse(
        "WEBVTT - réunion\n"
        "Kind: captions\n"
        "\n"
        "00:00:01.000 --> 00:00:03.000\n"
        "<v Alice>Bonjour à tous, c'est l'été !</v>\n"
        "\n"
        "\n"
        "00:00:04.000 --> 00:00:06.500 align:start position:10%\n"
        "<v.loud Bruno>« Très bien », on commence.\n"
        "Deuxième ligne.</v>\n");
    TEST_CHECK(t && t->count == 2);
    TEST_CHECK(t->cues[0].start == 1.0 && t->cues[0].end == 3.0);
    TEST_CHECK(str_eq(t->cues[0].speaker, "Alice"));
    TEST_CHECK(str_eq(t->cues[0].text, "Bonjour \xc3\xa0 tous, c'est l'\xc3\xa9t\xc3\xa9 !"));
    TEST_CHECK(t->cues[1].start == 4.0 && t->cues[1].end == 6.5);
    TEST_CHECK(str_eq(t->cues[1].speaker, "Bruno"));
    TEST_CHECK(str_eq(t->cues[1].text,
                      "\xc2\xab Tr\xc3\xa8s bien \xc2\xbb, on commence.\nDeuxi\xc3\xa8me ligne."));
    char *s = caption_cue_display_text(&t->cues[0]);
    TEST_CHECK(str_eq(s, "Alice: Bonjour à tous, c'est l'été !"));
    free(s);
    caption_track_free(&t);
    TEST_CHECK(t == NULL);
    return 0;
}

static int test_entities_and_tags(void)
{
    struct caption_track *t = parse(
        "WEBVTT\n\n"
        "00:01.000 --> 00:02.000\n"
        "a &amp; b &lt;c&gt; d&nbsp;e &lrm;&rlm; &#233;&#xE9;&#x1F600; &#0; &bogus; &amp x\n"
        "\n"
        "00:02.000 --> 00:03.000\n"
        "<i>i</i> <b>b</b> <c.red.big>c</c> <00:00:02.500>t <ruby>r<rt>t</rt></ruby> "
        "<lang fr>l</lang> x<y\n"
        "\n"
        "00:03.000 --> 00:04.000\n"
        "<v Tom &amp;  Jerry >Oui</v> <v Bruno>Non</v> <v Bruno>Si</v>\n"
        "\n"
        "00:04.000 --> 00:05.000\n"
        "sans \xff\xc3 voix\n");
    TEST_CHECK(t && t->count == 4);
    TEST_CHECK(str_eq(t->cues[0].text,
                      "a & b <c> d\xc2\xa0" "e \xe2\x80\x8e\xe2\x80\x8f "
                      "\xc3\xa9\xc3\xa9\xf0\x9f\x98\x80 \xef\xbf\xbd &bogus; &amp x"));
    TEST_CHECK(t->cues[0].speaker == NULL);
    TEST_CHECK(str_eq(t->cues[1].text, "i b c t rt l x"));
    TEST_CHECK(str_eq(t->cues[2].speaker, "Tom & Jerry"));
    TEST_CHECK(str_eq(t->cues[2].text, "Oui\nBruno: Non Si"));
    TEST_CHECK(str_eq(t->cues[3].text, "sans \xef\xbf\xbd\xef\xbf\xbd voix"));
    char *s = caption_cue_display_text(&t->cues[3]);
    TEST_CHECK(str_eq(s, t->cues[3].text));
    free(s);
    caption_track_free(&t);
    return 0;
}

static int test_blocks(void)
{
    struct caption_track *t = parse(
        "\xef\xbb\xbfWEBVTT\n\n"
        "STYLE\n::cue { color: yellow }\n\n"
        "REGION\nid:fred\n\n"
        "NOTE ceci est un commentaire\nsur deux lignes\n\n"
        "NOTE\nseul\n\n"
        "intro-1\n"
        "00:00:01.000 --> 00:00:02.000\n"
        "premier\n"
        "\n"
        "00:00:03.000 --> 00:00:04.000\n"
        "\n"                                       /* empty cue: skipped */
        "00:00:05.000 --> 00:00:06.000\n"
        "deuxième\n"
        "00:00:07.000 --> 00:00:08.000\n"          /* an arrow line starts a new cue */
        "troisième\n"
        "\n"
        "01:00:00.000 --> 01:00:01.250\n"
        "une heure");
    TEST_CHECK(t && t->count == 4);
    TEST_CHECK(str_eq(t->cues[0].text, "premier") && t->cues[0].start == 1.0);
    TEST_CHECK(str_eq(t->cues[1].text, "deuxième") && t->cues[1].start == 5.0);
    TEST_CHECK(str_eq(t->cues[2].text, "troisième") && t->cues[2].start == 7.0);
    TEST_CHECK(str_eq(t->cues[3].text, "une heure"));
    TEST_CHECK(t->cues[3].start == 3600.0 && t->cues[3].end == 3601.25);
    caption_track_free(&t);
    return 0;
}

static int test_line_endings(void)
{
    struct caption_track *t = parse(
        "WEBVTT\r\n\r\nid\r\n00:01.500 --> 00:02.000\r\n<v Alice>ligne un\r\nligne deux"
        "\r\n\r\n02:03.004 --> 02:04.000\r\nfin\r\n");
    TEST_CHECK(t && t->count == 2);
    TEST_CHECK(t->cues[0].start == 1.5 && t->cues[0].end == 2.0);
    TEST_CHECK(str_eq(t->cues[0].speaker, "Alice"));
    TEST_CHECK(str_eq(t->cues[0].text, "ligne un\nligne deux"));
    TEST_CHECK(t->cues[1].start > 123.003 && t->cues[1].start < 123.005);
    caption_track_free(&t);

    t = parse("WEBVTT\r\r00:01.000 --> 00:02.000\rcr seul\rsuite\r");
    TEST_CHECK(t && t->count == 1 && str_eq(t->cues[0].text, "cr seul\nsuite"));
    caption_track_free(&t);
    return 0;
}

static int test_errors(void)
{
    TEST_CHECK(parse_fails("", "line 1: missing WEBVTT header"));
    TEST_CHECK(parse_fails("WEBVTX\n\n00:01.000 --> 00:02.000\nx\n", "line 1"));
    TEST_CHECK(parse_fails("WEBVTTX\n", "WEBVTT"));
    TEST_CHECK(parse_fails("\n\nWEBVTT\n", "line 1"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:00:0x.000 --> 00:00:02.000\nx\n",
                           "line 3: malformed"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nx\n", "line 3"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:60.000 --> 01:02.000\nx\n", "line 3"));
    TEST_CHECK(parse_fails("WEBVTT\n\n0:01.000 --> 00:02.000\nx\n", "line 3"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:01.000 -> 00:02.000\nx\n", "line 3"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:01.000 --> 00:02.000x\nx\n", "line 3"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:01.000 --> 00:02.00\nx\n", "line 3"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:01.000 -->\nx\n", "line 3"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n"
                           "00:00:05.000 --> 00:00:04.000\nx\n", "line 6: cue ends"));
    TEST_CHECK(parse_fails("WEBVTT\n\n00:00:05.000 --> 00:00:05.000\nx\n", "line 3"));
    TEST_CHECK(parse_fails("WEBVTT\n\nid\nno timing\n", "line 3: expected"));
    TEST_CHECK(parse_fails("WEBVTT\n\nid\n", "line 3"));
    return 0;
}

static int test_limits(void)
{
    struct caption_track *t = NULL;
    size_t big = CAPTION_MAX_FILE_SIZE + 1;
    char *buf = malloc(big);
    TEST_CHECK(buf);
    memset(buf, '\n', big);
    memcpy(buf, "WEBVTT\n", 7);
    int ret = caption_track_parse_vtt(&t, buf, big, err, sizeof(err));
    free(buf);
    TEST_CHECK(ret == AVERROR(EFBIG) && !t);

    /* CAPTION_MAX_CUES + 1 one-second cues. */
    size_t cap = 32 + (CAPTION_MAX_CUES + 1) * 40, len = 0;
    buf = malloc(cap);
    TEST_CHECK(buf);
    len += sprintf(buf, "WEBVTT\n\n");
    for (int i = 0; i <= CAPTION_MAX_CUES; i++)
        len += sprintf(buf + len, "%02d:%02d:%02d.000 --> %02d:%02d:%02d.500\nc\n\n",
                       i / 3600, i / 60 % 60, i % 60, i / 3600, i / 60 % 60, i % 60);
    ret = caption_track_parse_vtt(&t, buf, len, err, sizeof(err));
    TEST_CHECK(ret == AVERROR(EFBIG) && !t && strstr(err, "cues"));
    /* Without the last cue the same file parses. */
    ret = caption_track_parse_vtt(&t, buf, len - strlen("27:46:40.000 --> 27:46:40.500\nc\n\n"),
                                  err, sizeof(err));
    free(buf);
    TEST_CHECK(ret == 0 && t->count == CAPTION_MAX_CUES);
    TEST_CHECK(caption_track_active(t, 50000.25) == &t->cues[50000]);
    TEST_CHECK(caption_track_active(t, 50000.75) == NULL);
    caption_track_free(&t);
    return 0;
}

static int test_active(void)
{
    struct caption_track *t = parse(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\nun\n\n"
        "00:00:03.000 --> 00:00:04.000\ndeux\n\n"
        "00:00:10.000 --> 00:00:20.000\nlong\n\n"
        "00:00:12.000 --> 00:00:13.000\ncourt\n\n"
        "00:00:12.000 --> 00:00:12.500\nmême début\n\n"
        "00:00:08.000 --> 00:00:09.000\nen retard\n");
    TEST_CHECK(t && t->count == 6);
    TEST_CHECK(t->cues[2].start == 8.0);                     /* sorted by start */
    const struct caption_cue *c;
    TEST_CHECK(caption_track_active(t, 0.999) == NULL);
    TEST_CHECK((c = caption_track_active(t, 1.0)) && str_eq(c->text, "un"));
    TEST_CHECK((c = caption_track_active(t, 2.999)) && str_eq(c->text, "un"));
    TEST_CHECK((c = caption_track_active(t, 3.0)) && str_eq(c->text, "deux"));
    TEST_CHECK(caption_track_active(t, 4.0) == NULL);
    TEST_CHECK(caption_track_active(t, 6.0) == NULL);
    TEST_CHECK((c = caption_track_active(t, 8.5)) && str_eq(c->text, "en retard"));
    TEST_CHECK((c = caption_track_active(t, 11.0)) && str_eq(c->text, "long"));
    /* Overlaps: the latest start wins, file order breaks ties. */
    TEST_CHECK((c = caption_track_active(t, 12.0)) && str_eq(c->text, "même début"));
    TEST_CHECK((c = caption_track_active(t, 12.5)) && str_eq(c->text, "court"));
    TEST_CHECK((c = caption_track_active(t, 13.0)) && str_eq(c->text, "long"));
    TEST_CHECK((c = caption_track_active(t, 19.999)) && str_eq(c->text, "long"));
    TEST_CHECK(caption_track_active(t, 20.0) == NULL);
    TEST_CHECK(caption_track_active(t, 1e9) == NULL);
    TEST_CHECK(caption_track_active(NULL, 1.0) == NULL);
    caption_track_free(&t);
    return 0;
}

static int test_load(void)
{
    struct caption_track *t = NULL;
    int ret = caption_track_load_vtt(&t, "/nonexistent/x.vtt", err, sizeof(err));
    TEST_CHECK(ret == AVERROR(ENOENT) && !t && strstr(err, "/nonexistent/x.vtt"));

    char path[512];
    snprintf(path, sizeof(path), "%s/fixtures/captions_fr.vtt", test_source_dir());
    if (access(path, R_OK))
        return 0;                             /* fixture not made yet: nothing to check */
    ret = caption_track_load_vtt(&t, path, err, sizeof(err));
    if (ret < 0)
        fprintf(stderr, "    %s\n", err);
    TEST_CHECK(ret == 0 && t->count == 2);
    TEST_CHECK(str_eq(t->cues[0].speaker, "Alice") && str_eq(t->cues[1].speaker, "Bruno"));
    TEST_CHECK(t->cues[0].start == 1.0 && t->cues[0].end == 3.0);
    TEST_CHECK(t->cues[1].start == 4.0 && t->cues[1].end == 6.5);
    TEST_CHECK(strstr(t->cues[1].text, "pr\xc3\xa9visionnel"));
    TEST_CHECK(caption_track_active(t, 6.5) == NULL);
    caption_track_free(&t);
    return 0;
}

static const struct test_case captions_cases[] = {
    { "two_speakers", test_two_speakers },
    { "entities_and_tags", test_entities_and_tags },
    { "blocks", test_blocks },
    { "line_endings", test_line_endings },
    { "errors", test_errors },
    { "limits", test_limits },
    { "active", test_active },
    { "load", test_load },
    { NULL, NULL },
};

const struct test_suite captions_suite = { "captions", captions_cases };
