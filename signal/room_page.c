/* The room page served at GET /rooms/{id}/view: plain HTML/JS (WHEP player, participants, layout, captions).
 * The page below is hand-written HTML quoted line by line into one C string (no build
 * step: edit it in place; @ROOM@ is replaced by the room id). It plays the room over
 * WHEP, polls GET /rooms/{id} every 500 ms, posts layouts and captions; ?token= on
 * the page URL is sent as its Authorization header. docs/API.md, "Room page". */
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "signal/http.h"
#include "signal/room_page.h"
#include "signal/server.h"

static const char room_page_html[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>tessera: room @ROOM@</title>\n"
    "<style>\n"
    "body{font-family:sans-serif;margin:1em;background:#111;color:#eee}\n"
    "#main{display:flex;gap:1.5em;flex-wrap:wrap}\n"
    "video{width:640px;max-width:100%;background:#000;display:block}\n"
    "#caption{min-height:1.4em;margin:.4em 0;font-size:1.1em}\n"
    "button.on{background:#2a6;color:#fff}\n"
    "#participants{list-style:none;padding:0;min-width:12em}\n"
    "#participants li{margin:.3em 0}\n"
    ".dot{display:inline-block;width:.8em;height:.8em;border-radius:50%;background:#444;margin-right:.5em}\n"
    "li.speaking .dot{background:#3d3}\n"
    "#status{color:#aaa;font-size:.9em}\n"
    "</style></head>\n"
    "<body>\n"
    "<h1>Room <span id=\"room\">@ROOM@</span></h1>\n"
    "<div id=\"main\">\n"
    "<div>\n"
    "<video id=\"video\" autoplay playsinline muted controls></video>\n"
    "<div id=\"caption\"></div>\n"
    "<div>Profile <select id=\"profile\"><option value=\"low\">low</option><option value=\"hd\">hd</option></select>\n"
    "<button id=\"play\">Play</button> <span id=\"status\"></span></div>\n"
    "<div id=\"layouts\">Layout\n"
    "<button id=\"layout-grid\" data-layout=\"grid\">grid</button>\n"
    "<button id=\"layout-speaker\" data-layout=\"speaker\">speaker</button>\n"
    "<button id=\"layout-filmstrip\" data-layout=\"filmstrip\">filmstrip</button>\n"
    "<button id=\"layout-presentation\" data-layout=\"presentation\">presentation</button>\n"
    "<button id=\"layout-pip\" data-layout=\"pip\">pip</button></div>\n"
    "<div>Caption <input id=\"caption-text\" size=\"40\"> <button id=\"caption-send\">Post</button></div>\n"
    "</div>\n"
    "<div><h2>Participants</h2><ul id=\"participants\"></ul></div>\n"
    "</div>\n"
    "<script>\n"
    "'use strict';\n"
    "const room = decodeURIComponent(location.pathname.split('/')[2]);\n"
    "const query = new URLSearchParams(location.search);\n"
    "const token = query.get('token') || '';\n"
    "const base = '/rooms/' + encodeURIComponent(room);\n"
    "const $ = (id) => document.getElementById(id);\n"
    "let pc = null;\n"
    "let whep_location = null;\n"
    "\n"
    "function headers(extra) {\n"
    "    const h = Object.assign({}, extra || {});\n"
    "    if (token) h.Authorization = 'Bearer ' + token;\n"
    "    return h;\n"
    "}\n"
    "\n"
    "function say(text) { $('status').textContent = text; }\n"
    "\n"
    "async function post_json(path, body) {\n"
    "    const r = await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),\n"
    "                                  body: JSON.stringify(body) });\n"
    "    if (!r.ok) say(path + ': ' + r.status + ' ' + await r.text());\n"
    "    return r.ok;\n"
    "}\n"
    "\n"
    "function stop() {\n"
    "    if (pc) { pc.close(); pc = null; }\n"
    "    if (whep_location) {\n"
    "        fetch(whep_location, { method: 'DELETE', headers: headers(), keepalive: true }).catch(() => {});\n"
    "        whep_location = null;\n"
    "    }\n"
    "}\n"
    "\n"
    "async function play() {\n"
    "    stop();\n"
    "    const profile = $('profile').value;\n"
    "    const p = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });\n"
    "    pc = p;\n"
    "    window.room_page_pc = p;\n"
    "    const stream = new MediaStream();\n"
    "    p.addEventListener('track', (e) => { stream.addTrack(e.track); $('video').srcObject = stream; });\n"
    "    p.addEventListener('connectionstatechange', () => say(profile + ': ' + p.connectionState));\n"
    "    p.addTransceiver('audio', { direction: 'recvonly' });\n"
    "    p.addTransceiver('video', { direction: 'recvonly' });\n"
    "    await p.setLocalDescription(await p.createOffer());\n"
    "    await new Promise((resolve) => {\n"
    "        if (p.iceGatheringState === 'complete') resolve();\n"
    "        p.addEventListener('icegatheringstatechange', () => { if (p.iceGatheringState === 'complete') resolve(); });\n"
    "        setTimeout(resolve, 3000);\n"
    "    });\n"
    "    const r = await fetch('/whep/' + encodeURIComponent(room) + '?profile=' + encodeURIComponent(profile),\n"
    "                          { method: 'POST', headers: headers({ 'Content-Type': 'application/sdp' }),\n"
    "                            body: p.localDescription.sdp });\n"
    "    const answer = await r.text();\n"
    "    if (r.status !== 201) { say('WHEP ' + r.status + ': ' + answer); return; }\n"
    "    whep_location = r.headers.get('Location');\n"
    "    await p.setRemoteDescription({ type: 'answer', sdp: answer });\n"
    "    say(profile + ': connecting');\n"
    "}\n"
    "\n"
    "function render(state) {\n"
    "    document.querySelectorAll('#layouts button').forEach((b) => b.classList.toggle('on', b.dataset.layout === state.layout));\n"
    "    const list = $('participants');\n"
    "    list.textContent = '';\n"
    "    for (const p of (state.state && state.state.participants) || []) {\n"
    "        const li = document.createElement('li');\n"
    "        li.className = p.speaking ? 'speaking' : '';\n"
    "        const dot = document.createElement('span');\n"
    "        dot.className = 'dot';\n"
    "        li.appendChild(dot);\n"
    "        li.appendChild(document.createTextNode(p.name + (p.muted ? ' (muted)' : '') + (p.held ? ' (held)' : '')));\n"
    "        list.appendChild(li);\n"
    "    }\n"
    "}\n"
    "\n"
    "async function poll() {\n"
    "    try {\n"
    "        const r = await fetch(base, { headers: headers() });\n"
    "        if (r.ok) render(await r.json());\n"
    "        else say('room: ' + r.status);\n"
    "    } catch (e) { say('room: ' + e); }\n"
    "    setTimeout(poll, 500);\n"
    "}\n"
    "\n"
    "document.querySelectorAll('#layouts button').forEach((b) => b.addEventListener('click', () => {\n"
    "    post_json(base + '/layout', { layout: b.dataset.layout });\n"
    "}));\n"
    "$('caption-send').addEventListener('click', async () => {\n"
    "    const text = $('caption-text').value.trim();\n"
    "    if (!text) return;\n"
    "    if (await post_json(base + '/captions', { speaker: 'viewer', text: text, final: true })) {\n"
    "        $('caption').textContent = text;\n"
    "        $('caption-text').value = '';\n"
    "    }\n"
    "});\n"
    "$('caption-text').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('caption-send').click(); });\n"
    "$('play').addEventListener('click', () => play().catch((e) => say('play: ' + e)));\n"
    "$('profile').addEventListener('change', () => play().catch((e) => say('play: ' + e)));\n"
    "window.addEventListener('pagehide', stop);\n"
    "if (query.get('profile')) $('profile').value = query.get('profile');\n"
    "poll();\n"
    "play().catch((e) => say('play: ' + e));\n"
    "</script>\n"
    "</body></html>\n";

int room_page_token_ok(struct evhttp_request *req, const char *token)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    struct evkeyvalq params;
    const char *given;
    int ok = 0;

    if (!token || !*token)
        return 1;
    if (!query || evhttp_parse_query_str(query, &params) < 0)
        return 0;
    given = evhttp_find_header(&params, "token");
    if (given) {
        size_t a = strlen(given), b = strlen(token);
        unsigned diff = (unsigned)(a ^ b);
        for (size_t i = 0; i < a && i < b; i++)
            diff |= (unsigned)(given[i] ^ token[i]);
        ok = diff == 0;
    }
    evhttp_clear_headers(&params);
    return ok;
}

/* Appends text to out (at *len) with &, <, >, " and ' escaped; out has room. */
static void room_page_escape(char *out, size_t *len, const char *text)
{
    for (; *text; text++) {
        const char *rep = NULL;
        switch (*text) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep) {
            memcpy(out + *len, rep, strlen(rep));
            *len += strlen(rep);
        } else {
            out[(*len)++] = *text;
        }
    }
}

void room_page_serve(struct server *s, struct evhttp_request *req, const char *room_id)
{
    static const char marker[] = "@ROOM@";
    const char *from = room_page_html, *at;
    size_t id_len = strlen(room_id), len = 0, size;
    char *page;

    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        http_reply_error(req, 405, "GET only");
        return;
    }
    if (!server_find_room(s, room_id)) {
        http_reply_error(req, 404, "no room %s", room_id);
        return;
    }
    size = sizeof(room_page_html) + 8 * (6 * id_len + 1);   /* the marker appears twice */
    page = malloc(size);
    if (!page) {
        http_reply_error(req, 500, "out of memory");
        return;
    }
    while ((at = strstr(from, marker)) != NULL) {
        memcpy(page + len, from, (size_t)(at - from));
        len += (size_t)(at - from);
        room_page_escape(page, &len, room_id);
        from = at + sizeof(marker) - 1;
    }
    memcpy(page + len, from, strlen(from));
    len += strlen(from);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    http_reply_text(req, 200, "text/html; charset=utf-8", page, len);
    free(page);
}
