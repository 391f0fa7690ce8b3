#include "api/status_page.hpp"

#include <string>

#include <openssl/evp.h>

namespace kea_ha::api {
namespace {

/// 'sha256-BASE64' of what stands between `open` and `close` in the page (CSP hash source).
std::string hash_source(std::string_view page, std::string_view open, std::string_view close) {
    const auto start = page.find(open);
    const auto end = start == std::string_view::npos ? start : page.find(close, start + open.size());
    if (end == std::string_view::npos) return "'none'";
    const auto content = page.substr(start + open.size(), end - start - open.size());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(content.data(), content.size(), digest, &length, EVP_sha256(), nullptr);
    unsigned char base64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    const int written = EVP_EncodeBlock(base64, digest, static_cast<int>(length));
    return "'sha256-" + std::string(reinterpret_cast<const char*>(base64), static_cast<std::size_t>(written)) + "'";
}

}  // namespace

std::string_view status_page_csp() {
    static const std::string policy = "default-src 'none'; script-src " +
                                      hash_source(status_page_html(), "<script>", "</script>") + "; style-src " +
                                      hash_source(status_page_html(), "<style>", "</style>") +
                                      "; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
                                      "frame-ancestors 'none'";
    return policy;
}

// SPEC §8: one self-contained page (no external assets, no build step) that refreshes itself
// from the API. It holds no data of its own, so it is served without the bearer token; the
// data calls carry the token the operator types in (kept in sessionStorage only).
std::string_view status_page_html() {
    return R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kea-ha-controller</title>
<style>
:root { --ok:#1a7f37; --impaired:#b35900; --down:#c62828; --unreach:#6e6e6e; --bg:#f6f8fa; --fg:#1f2328; --line:#d0d7de; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif; background:var(--bg); color:var(--fg); }
header { background:#24292f; color:#fff; padding:10px 16px; display:flex; flex-wrap:wrap; gap:8px; align-items:center; justify-content:space-between; }
header h1 { font-size:16px; margin:0; }
#meta { font-size:12px; opacity:.85; }
main { padding:12px; max-width:1200px; margin:0 auto; }
.cluster { background:#fff; border:1px solid var(--line); border-radius:8px; margin-bottom:14px; padding:12px; }
.head { display:flex; flex-wrap:wrap; gap:8px 16px; align-items:center; }
.head h2 { font-size:17px; margin:0; }
.badge { display:inline-block; padding:2px 10px; border-radius:12px; color:#fff; font-weight:600; font-size:13px; }
.OK { background:var(--ok); } .Impaired { background:var(--impaired); } .Down { background:var(--down); } .Unreachable { background:var(--unreach); }
.kv { color:#57606a; font-size:13px; }
.reason { margin:6px 0 0; color:#57606a; font-size:13px; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; margin-top:8px; font-size:13px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
td.err { white-space:normal; min-width:12em; color:#8c2f00; }
.cond-active { color:var(--ok); font-weight:600; } .cond-unreachable { color:var(--down); font-weight:600; }
.cond-transitional, .cond-maintenance, .cond-terminated, .cond-disabled { color:var(--impaired); font-weight:600; }
ul.warn { margin:8px 0 0; padding-left:18px; color:#8c2f00; }
details { margin-top:8px; } summary { cursor:pointer; color:#0969da; }
#error { display:none; background:#ffebe9; border:1px solid #ff8182; padding:8px 12px; border-radius:6px; margin-bottom:12px; }
#auth { display:none; margin-bottom:12px; }
#auth input { padding:4px; width:18em; max-width:100%; }
@media (max-width:600px) { th, td { padding:3px 5px; } .head h2 { font-size:15px; } }
</style>
</head>
<body>
<header><h1>kea-ha-controller</h1><span id="meta">loading…</span></header>
<main>
<div id="error"></div>
<form id="auth"><label>API token: <input id="token" type="password" autocomplete="off"></label> <button>Use</button></form>
<div id="clusters"></div>
</main>
<script>
"use strict";
const REFRESH_MS = 2000;
function token() { return sessionStorage.getItem("kea-ha-token") || ""; }
async function api(path) {
  const headers = token() ? { "Authorization": "Bearer " + token() } : {};
  const r = await fetch(path, { headers, cache: "no-store" });
  if (r.status === 401) { document.getElementById("auth").style.display = "block"; throw new Error("the API needs a token (apiTokenFile)"); }
  if (!r.ok) { let m = "HTTP " + r.status; try { m = (await r.json()).error.message; } catch (e) {} throw new Error(m); }
  return r.json();
}
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
  for (const c of children) e.append(c === null || c === undefined ? "" : (c instanceof Node ? c : String(c)));
  return e;
}
function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 90 ? s + " s ago" : s < 5400 ? Math.round(s / 60) + " min ago" : new Date(iso).toLocaleString();
}
function yesno(v) { return v === true ? "yes" : v === false ? "no" : "–"; }
function partner(r) {
  if (!r) return "–";
  const touch = r.communication_interrupted === true ? "interrupted" : r.in_touch === false ? "never in touch" : "in touch";
  return (r.name ? r.name + ": " : "") + touch + (r.unacked_clients ? ", " + r.unacked_clients + " unacked" : "") +
    (r.clock_skew_s !== null && r.clock_skew_s !== undefined ? ", clock " + r.clock_skew_s + " s" : "");
}
function render(detail, events) {
  const box = el("section", { class: "cluster", "data-cluster": detail.name, "data-state": detail.state });
  box.append(el("div", { class: "head" },
    el("h2", {}, detail.name),
    el("span", { class: "badge " + detail.state }, detail.state),
    el("span", { class: "kv" }, "mode: " + (detail.mode || "–")),
    el("span", { class: "kv" }, "source of truth: " + (detail.source_of_truth || "none")),
    el("span", { class: "kv" }, "service: " + detail.service),
    detail.cause ? el("span", { class: "kv", "data-cause": detail.cause }, "cause: " + detail.cause) : "",
    detail.split_brain ? el("span", { class: "badge Down", "data-split-brain": detail.split_brain }, "split brain") : ""));
  if (detail.reason) box.append(el("p", { class: "reason" }, detail.reason));
  const rows = (detail.peers || []).map(p => el("tr", {},
    el("td", {}, p.name), el("td", {}, p.role),
    el("td", { class: "cond-" + p.condition }, p.condition),
    el("td", {}, p.ha_state || "–"), el("td", {}, ago(p.last_seen)), el("td", {}, yesno(p.in_sync)),
    el("td", {}, partner(p.partner)),
    el("td", {}, p.clock_skew_s === null || p.clock_skew_s === undefined ? "–" : p.clock_skew_s.toFixed(1) + " s"),
    el("td", { class: "err" }, p.last_error || p.reason || "")));
  box.append(el("div", { class: "scroll" }, el("table", {},
    el("thead", {}, el("tr", {}, ...["peer", "role", "condition", "HA state", "last seen", "in sync", "partner", "clock", "detail"].map(h => el("th", {}, h)))),
    el("tbody", {}, ...rows))));
  if ((detail.warnings || []).length) {
    box.append(el("ul", { class: "warn" }, ...detail.warnings.map(w => el("li", {}, "[" + w.code + "] " + w.message))));
  }
  const recent = (events || []).slice(-10).reverse();
  if (recent.length) {
    box.append(el("details", {}, el("summary", {}, "last events"),
      el("div", { class: "scroll" }, el("table", {}, el("tbody", {}, ...recent.map(e => el("tr", {},
        el("td", {}, e.when), el("td", {}, e.peer || ""), el("td", {}, e.kind), el("td", {}, (e.from || "–") + " → " + (e.to || "–")),
        el("td", { class: "err" }, e.reason || "")))))))); 
  }
  return box;
}
async function refresh() {
  const err = document.getElementById("error");
  try {
    const health = await api("/v1/health");
    const list = await api("/v1/clusters");
    const parts = await Promise.all(list.map(async c => {
      const name = encodeURIComponent(c.name);
      const [d, e] = await Promise.all([api("/v1/clusters/" + name), api("/v1/clusters/" + name + "/events")]);
      return render(d, e);
    }));
    const target = document.getElementById("clusters");
    target.replaceChildren(...(parts.length ? parts : [el("p", {}, "No cluster registered yet: kea-ha-ctl add NAME URL")]));
    const counts = {};
    list.forEach(c => counts[c.state] = (counts[c.state] || 0) + 1);
    document.getElementById("meta").textContent = "version " + health.version + " · " + list.length + " cluster(s) " +
      Object.entries(counts).map(([k, v]) => v + " " + k).join(", ") + " · updated " + new Date().toLocaleTimeString();
    err.style.display = "none";
  } catch (e) {
    err.textContent = "Cannot refresh: " + e.message;
    err.style.display = "block";
  }
}
document.getElementById("auth").addEventListener("submit", ev => {
  ev.preventDefault();
  sessionStorage.setItem("kea-ha-token", document.getElementById("token").value);
  document.getElementById("auth").style.display = "none";
  refresh();
});
refresh();
setInterval(refresh, REFRESH_MS);
</script>
</body>
</html>
)HTML";
}

}  // namespace kea_ha::api
