// thidua-sync — progressive enhancement only; every page works without it.
// Loaded as a file (CSP script-src 'self'): no inline scripts.
"use strict";

(function () {
  // Deadline countdowns: <time class="countdown" datetime="ISO" data-lang="vi|en">
  function parts(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600), m: Math.floor((s % 3600) / 60) };
  }
  function label(el, now) {
    var due = Date.parse(el.getAttribute("datetime"));
    if (isNaN(due)) return;
    var en = (el.getAttribute("data-lang") || document.documentElement.lang) === "en";
    var left = due - now;
    var p = parts(Math.abs(left));
    var text;
    if (left >= 0) {
      text = en ? (p.d + " d " + p.h + " h " + p.m + " min left") : ("còn " + p.d + " ngày " + p.h + " giờ " + p.m + " phút");
    } else {
      text = en ? ("overdue by " + p.d + " d " + p.h + " h") : ("đã quá hạn " + p.d + " ngày " + p.h + " giờ");
    }
    el.textContent = text;
    el.classList.toggle("countdown--past", left < 0);
  }
  function tick() {
    var offset = Number(document.body.getAttribute("data-clock-offset") || 0);
    var now = Date.now() + offset;
    document.querySelectorAll("time.countdown").forEach(function (el) { label(el, now); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    // The server's "now" (which may be pinned for a what-if) wins over the browser clock.
    var server = document.body.getAttribute("data-now");
    if (server && !isNaN(Date.parse(server))) {
      document.body.setAttribute("data-clock-offset", String(Date.parse(server) - Date.now()));
    }
    tick();
    setInterval(tick, 30000);
    // Confirm dangerous buttons: <button data-confirm="message">
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (ev) {
        if (!window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
    // File choosers: <input type="file" data-name-target="ID"> shows the chosen file's name in #ID
    document.querySelectorAll("input[type=file][data-name-target]").forEach(function (input) {
      var out = document.getElementById(input.getAttribute("data-name-target"));
      if (!out) return;
      input.addEventListener("change", function () {
        out.textContent = input.files && input.files.length ? input.files[0].name : out.getAttribute("data-empty");
      });
    });
    // Print buttons: <button data-print>
    document.querySelectorAll("[data-print]").forEach(function (el) {
      el.addEventListener("click", function () { window.print(); });
    });
  });
})();
