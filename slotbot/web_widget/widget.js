/* slotbot chat widget: one <script async src=".../widget.js" data-api="..." data-service="..."
   data-lang="..."> tag adds a launcher and a booking chat inside a Shadow DOM. Plain JS, no
   build step. Every text from the server is set with textContent: nothing is parsed as HTML. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  if (!script || window.__slotbot) return;
  window.__slotbot = true;
  var data = script.dataset || {};
  var api = (data.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var lang = ((data.lang || navigator.language || "en").slice(0, 2).toLowerCase() === "ru") ? "ru" : "en";
  var store = "slotbot:" + api;
  var T = {
    en: {open: "Book an appointment", title: "Book an appointment", close: "Close chat",
      send: "Send", text: "Type your answer", phone: "Phone number", ask: "Or type what you need",
      badPhone: "Please enter a phone number with 7 to 15 digits, e.g. +49 151 23456789",
      typing: "Typing…", offline: "Connection lost. Reconnecting…", file: "Download",
      chat: "Booking chat", retry: "Could not send. Try again.", free: "free", none: "no free time",
      yours: "your time", yourTime: "Your time"},
    ru: {open: "Записаться на приём", title: "Запись на приём", close: "Закрыть чат",
      send: "Отправить", text: "Введите ответ", phone: "Номер телефона", ask: "Или напишите, что нужно",
      badPhone: "Введите номер телефона из 7–15 цифр, например +7 912 345-67-89",
      typing: "Печатает…", offline: "Нет связи. Переподключаемся…", file: "Скачать",
      chat: "Чат записи", retry: "Не удалось отправить. Попробуйте ещё раз.", free: "есть время",
      none: "нет свободного времени", yours: "по вашему времени", yourTime: "По вашему времени"}
  };
  function t(k) { return (T[lang] || T.en)[k]; }

  // A time the server shows in the shop's zone, in the visitor's own zone ("" when the two
  // zones agree at that instant): the browser knows its zone, the server sends the offset.
  var HM = {hour: "numeric", minute: "2-digit"};
  var DAY_HM = {weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit"};
  function own(item, opts) {
    var d = item.starts ? new Date(item.starts) : null;
    if (!d || isNaN(d) || -d.getTimezoneOffset() === item.offset || !window.Intl) return "";
    try { return new Intl.DateTimeFormat(lang, opts).format(d); } catch (e) { return ""; }
  }

  var CSS = ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;" +
    "padding:14px 20px;border:0;border-radius:28px;background:#0b6e4f;color:#fff;font-size:16px;font-weight:600;" +
    "cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25)}" +
    ".launcher[hidden]{display:none}.launcher:hover{background:#095c42}.launcher svg{width:22px;height:22px;fill:currentColor}" +
    "button:focus-visible,a:focus-visible,input:focus-visible,[tabindex]:focus-visible{outline:3px solid #f5a623;outline-offset:2px}" +
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:380px;height:min(640px,calc(100vh - 40px));" +
    "display:flex;flex-direction:column;background:#fff;color:#1d2a33;border-radius:16px;overflow:hidden;" +
    "box-shadow:0 12px 40px rgba(0,0,0,.3);font-size:15px;line-height:1.4}" +
    ".panel[hidden]{display:none}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:14px 16px;background:#0b6e4f;color:#fff}" +
    "header h2{margin:0;font-size:17px;font-weight:600}" +
    ".close{border:0;background:transparent;color:#fff;font-size:26px;line-height:1;cursor:pointer;padding:2px 8px;border-radius:6px}" +
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f3f6f5;overscroll-behavior:contain}" +
    ".msg{max-width:92%;margin:6px 0;padding:10px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".bot{background:#fff;border:1px solid #dde5e2;border-bottom-left-radius:4px}" +
    ".me{margin-left:auto;background:#0b6e4f;color:#fff;border-bottom-right-radius:4px;width:fit-content}" +
    ".msg:focus{outline:2px solid #9cc9b8}" +
    ".rows{margin-top:8px;display:flex;flex-direction:column;gap:6px}" +
    ".row{display:flex;flex-wrap:wrap;gap:6px}" +
    ".row>*{flex:1 1 auto}" +
    ".b{min-height:40px;padding:8px 12px;border:1px solid #0b6e4f;border-radius:10px;background:#fff;color:#0b6e4f;" +
    "font-size:14px;font-weight:500;cursor:pointer;text-align:center;text-decoration:none;white-space:normal}" +
    ".b:hover:not(:disabled){background:#e6f2ee}" +
    ".b:disabled{border-color:#ccd5d2;color:#8a9793;cursor:default;background:#f7f9f8}" +
    ".cal{display:grid;grid-template-columns:repeat(7,1fr);gap:4px;margin-top:8px}" +
    ".wd{text-align:center;font-size:12px;color:#5d6b66;padding:2px 0}" +
    ".day{min-height:38px;padding:0;border-radius:8px;border:0;font-size:14px;font-weight:600;cursor:pointer;" +
    "background:#2e9d6e;color:#fff}" +
    ".day:hover:not(:disabled):not(.off){background:#237a55}" +
    ".day:disabled,.day.off{background:#e4e8e7;color:#9aa5a1;cursor:help;font-weight:400}" +
    ".old .day:not(.off){background:#a9cdbd}" +
    ".files{margin-top:8px}.own{margin-top:6px;font-size:13px;color:#5d6b66}" +
    ".typing{display:flex;gap:4px;padding:0 18px 8px;background:#f3f6f5}.typing[hidden]{display:none}" +
    ".typing span{width:8px;height:8px;border-radius:50%;background:#8aa39a;animation:blink 1.2s infinite}" +
    ".typing span:nth-child(2){animation-delay:.2s}.typing span:nth-child(3){animation-delay:.4s}" +
    "@keyframes blink{0%,80%,100%{opacity:.25}40%{opacity:1}}" +
    "@media (prefers-reduced-motion:reduce){.typing span{animation:none}}" +
    ".toast{padding:0 16px;font-size:13px;color:#8a4b00;background:#f3f6f5}.toast:empty{display:none}" +
    "form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #dde5e2;background:#fff}" +
    "form[hidden]{display:none}" +
    "input{flex:1;min-width:0;padding:10px 12px;border:1px solid #b7c4bf;border-radius:10px;font-size:16px;color:#1d2a33;background:#fff}" +
    "input[aria-invalid=true]{border-color:#c0392b}" +
    ".send{padding:0 16px;border:0;border-radius:10px;background:#0b6e4f;color:#fff;font-size:15px;font-weight:600;cursor:pointer}" +
    ".err{padding:0 12px 8px;color:#c0392b;font-size:13px;background:#fff}.err:empty{display:none}" +
    "@media (max-width:600px){.panel{right:0;bottom:0;left:0;top:0;width:100vw;height:100vh;height:100dvh;border-radius:0;" +
    "padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)}" +
    ".launcher{right:16px;bottom:calc(16px + env(safe-area-inset-bottom))}}";

  // A tag of its own, reset inline: the page's "div {...}" or "* {... !important}" rules
  // cannot reach the host (and inside the shadow root, nothing of the page applies).
  var host = document.createElement("slotbot-widget");
  host.id = "slotbot-widget";
  host.setAttribute("style", "all:initial!important");
  var root = host.attachShadow({mode: "open"});
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  var style = el("style");
  style.textContent = CSS;
  var launcher = el("button", "launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-haspopup", "dialog");
  launcher.setAttribute("aria-expanded", "false");
  var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", "M4 4h16v12H7l-3 3z");
  svg.appendChild(path);
  launcher.appendChild(svg);
  var launcherText = el("span");
  launcher.appendChild(launcherText);
  var panel = el("div", "panel");
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.id = "slotbot-panel";
  launcher.setAttribute("aria-controls", panel.id);
  var header = el("header");
  var title = el("h2");
  title.id = "slotbot-title";
  panel.setAttribute("aria-labelledby", title.id);
  var closer = el("button", "close", "×");
  closer.type = "button";
  header.appendChild(title);
  header.appendChild(closer);
  var log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var typing = el("div", "typing");
  typing.hidden = true;
  typing.setAttribute("role", "status");
  var typingText = el("span", "sr");
  typing.appendChild(typingText);
  typing.appendChild(el("span"));
  typing.appendChild(el("span"));
  typing.appendChild(el("span"));
  var toast = el("div", "toast");
  toast.setAttribute("role", "status");
  var form = el("form");
  form.hidden = true;
  form.noValidate = true;
  var inputLabel = el("label", "sr");
  inputLabel.htmlFor = "slotbot-input";
  var input = el("input");
  input.id = "slotbot-input";
  input.maxLength = 1000;
  var send = el("button", "send");
  send.type = "submit";
  var err = el("div", "err");
  err.id = "slotbot-err";
  err.setAttribute("role", "alert");
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(toast);
  panel.appendChild(err);
  panel.appendChild(form);
  root.appendChild(style);
  root.appendChild(launcher);
  root.appendChild(panel);

  function chrome() {
    launcherText.textContent = t("open");
    launcher.setAttribute("aria-label", t("open"));
    title.textContent = t("title");
    closer.setAttribute("aria-label", t("close"));
    typingText.textContent = t("typing");
    send.textContent = t("send");
    host.setAttribute("lang", lang);
  }
  chrome();

  var token = null, lastId = 0, lastTurn = null, expects = "none", busy = false, started = false;
  var streaming = false, backoff = 1000, streamAbort = null;
  try { token = localStorage.getItem(store); } catch (e) { /* storage blocked */ }

  function call(method, path, body) {
    var headers = {"Content-Type": "application/json"};
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(api + path, {method: method, headers: headers, body: body ? JSON.stringify(body) : undefined})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { var e = new Error(j.detail || r.status); e.status = r.status; throw e; }
          return j;
        });
      });
  }

  function openSession() {
    return call("POST", "/api/v1/widget/sessions", {language: lang}).then(function (j) {
      token = j.token;
      try { localStorage.setItem(store, token); } catch (e) { /* storage blocked */ }
      return j.messages || [];
    });
  }

  function disableOld() {
    var old = log.querySelectorAll("button:not(:disabled),input");
    for (var i = 0; i < old.length; i++) old[i].disabled = true;
    var cals = log.querySelectorAll(".cal");
    for (var k = 0; k < cals.length; k++) cals[k].classList.add("old");
  }

  function button(b, cls) {
    var n;
    if (b.url) {
      n = el("a", cls || "b", b.label);
      if (/^(https?:|tg:)/i.test(b.url)) n.href = b.url;
      n.target = "_blank";
      n.rel = "noopener noreferrer";
      return n;
    }
    var mine = own(b, HM);
    n = el("button", cls || "b", mine ? b.label + " (" + mine + " " + t("yours") + ")" : b.label);
    n.type = "button";
    if (b.disabled) n.disabled = true;
    else n.addEventListener("click", function () { press(b.action, n); });
    return n;
  }

  // A grey day cannot be picked, but pressing it tells why (the answer is a notice); its
  // label already says "no free time".
  function greyDay(d, action) {
    d.disabled = false;
    d.addEventListener("click", function () { press(action, null); });
  }

  function calendar(rows, box) {
    var grid = el("div", "cal");
    grid.setAttribute("role", "group");
    var i = 0;
    for (; i < rows.length && rows[i].length === 7; i++) {
      for (var j = 0; j < 7; j++) {
        var b = rows[i][j];
        if (i === 0) { var h = el("span", "wd", b.label); h.setAttribute("aria-hidden", "true"); grid.appendChild(h); }
        else if (!b.label.trim()) grid.appendChild(el("span"));
        else {
          var d = button(b, "day" + (b.disabled ? " off" : ""));
          d.setAttribute("aria-label", b.label + ", " + (b.disabled ? t("none") : t("free")));
          if (b.disabled && b.action) greyDay(d, b.action);
          grid.appendChild(d);
        }
      }
    }
    box.appendChild(grid);
    return rows.slice(i);
  }

  function attachments(list, box) {
    var files = el("div", "files");
    list.forEach(function (a) {
      var bytes = atob(a.data), arr = new Uint8Array(bytes.length);
      for (var i = 0; i < bytes.length; i++) arr[i] = bytes.charCodeAt(i);
      var link = el("a", "b", "📅 " + t("file") + " " + a.filename);
      link.href = URL.createObjectURL(new Blob([arr], {type: a.mime_type}));
      link.download = a.filename;
      files.appendChild(link);
    });
    box.appendChild(files);
  }

  function render(m) {
    if (m.id <= lastId) return null;
    lastId = m.id;
    if (m.from === "visitor") {
      disableOld();
      lastTurn = null;
      var mine = el("div", "msg me", m.text);
      log.appendChild(mine);
      return null;
    }
    if (m.turn !== lastTurn) { disableOld(); lastTurn = m.turn; }
    if (m.lang && m.lang !== lang && T[m.lang]) { lang = m.lang; chrome(); }
    var box = el("div", "msg bot");
    box.tabIndex = -1;
    box.setAttribute("data-id", String(m.id));
    box.appendChild(el("div", "txt", m.text));
    var mine = own(m, DAY_HM);
    if (mine) box.appendChild(el("div", "own", t("yourTime") + ": " + mine));
    var rows = m.buttons || [];
    if (rows.length) {
      var holder = el("div", "rows");
      if (m.layout === "calendar") rows = calendar(rows, holder);
      rows.forEach(function (row) {
        var r = el("div", "row");
        row.forEach(function (b) { r.appendChild(button(b)); });
        holder.appendChild(r);
      });
      box.appendChild(holder);
    }
    if (m.attachments && m.attachments.length) attachments(m.attachments, box);
    log.appendChild(box);
    expects = m.expects || "none";
    return box;
  }

  function showInput() {
    // typed text is read on every screen ("haircut tomorrow after 5"): the field stays, and
    // takes the focus only where the screen asks for an answer
    form.hidden = false;
    err.textContent = "";
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    input.disabled = false;
    if (expects === "phone") {
      input.type = "tel";
      input.autocomplete = "tel";
      input.inputMode = "tel";
      input.placeholder = "+49 151 23456789";
      inputLabel.textContent = t("phone");
    } else {
      var asked = expects !== "none";
      input.type = "text";
      input.autocomplete = asked ? "name" : "off";
      input.inputMode = "text";
      input.placeholder = asked ? t("text") : t("ask");
      inputLabel.textContent = asked ? t("text") : t("ask");
    }
  }

  function show(messages, focus) {
    var first = null;
    (messages || []).forEach(function (m) {
      var b = render(m) || (m.from === "bot" && log.querySelector("[data-id='" + Number(m.id) + "']"));
      first = first || b;
    });
    if (!first) return;
    showInput();
    log.scrollTop = log.scrollHeight;
    if (focus) {
      if (expects !== "none") input.focus();
      else first.focus({preventScroll: true});
    }
  }

  var toastTimer;
  function notice(text) {
    toast.textContent = text || "";
    clearTimeout(toastTimer);
    if (text) toastTimer = setTimeout(function () { toast.textContent = ""; }, 5000);
  }

  // What the visitor's event did to their bookings, for the host page: slotbot:held,
  // slotbot:booked, slotbot:moved, slotbot:cancelled; the detail is the API's event (booking,
  // starts, service, specialist; a move's was and was_booking too).
  function fire(events) {
    (events || []).forEach(function (e) {
      var detail = {};
      Object.keys(e).forEach(function (k) { if (k !== "type") detail[k] = e[k]; });
      document.dispatchEvent(new CustomEvent("slotbot:" + e.type, {detail: detail}));
    });
  }

  var typingTimer;
  function waiting(on) {
    busy = on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = false; }, 120);
    else typing.hidden = true;
  }

  function event(body, retried) {
    if (busy) return Promise.resolve();
    waiting(true);
    return call("POST", "/api/v1/widget/events", body).then(function (j) {
      waiting(false);
      show(j.messages, true);
      notice(j.notice);
      fire(j.events);
    }, function (e) {
      waiting(false);
      if (e.status === 401 && !retried) {
        token = null;
        log.textContent = "";
        lastId = 0;
        return openSession().then(function () { return event({type: "start"}, true); });
      }
      notice(e.status ? e.message : t("retry"));
    });
  }

  function press(action, node) {
    if (busy) return;
    if (node) node.setAttribute("aria-pressed", "true");
    event({type: "press", action: action});
  }

  function phoneOk(v) {
    var digits = v.replace(/\D/g, "");
    return /^\+?[0-9 ()\-.]+$/.test(v) && digits.length >= 7 && digits.length <= 15;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var v = input.value.trim();
    if (!v || busy) return;
    if (expects === "phone" && !phoneOk(v)) {
      err.textContent = t("badPhone");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", err.id);
      input.focus();
      return;
    }
    input.value = "";
    form.hidden = true;
    event(expects === "phone" ? {type: "contact", phone: v} : {type: "text", text: v});
  });

  function stream() {
    if (streaming || !token || !window.ReadableStream) return;
    streaming = true;
    var ctl = window.AbortController ? new AbortController() : null;
    streamAbort = ctl;
    fetch(api + "/api/v1/widget/stream?after=" + lastId, {
      headers: {Authorization: "Bearer " + token, Accept: "text/event-stream"},
      signal: ctl && ctl.signal
    }).then(function (r) {
      if (!r.ok || !r.body) throw new Error(r.status);
      backoff = 1000;
      notice("");
      var reader = r.body.getReader(), dec = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buf += dec.decode(chunk.value, {stream: true});
          var parts = buf.split("\n\n");
          buf = parts.pop();
          parts.forEach(function (p) {
            var dataLine = p.split("\n").filter(function (l) { return l.indexOf("data: ") === 0; })[0];
            if (dataLine) { var m = JSON.parse(dataLine.slice(6)); show([m], !busy); }
          });
          return pump();
        });
      }
      return pump();
    }).then(function () {
      streaming = false;
      if (!panel.hidden) stream();
    }, function () {
      streaming = false;
      if (panel.hidden) return;
      notice(t("offline"));
      setTimeout(stream, backoff);
      backoff = Math.min(backoff * 2, 15000);
    });
  }

  var phone = window.matchMedia ? window.matchMedia("(max-width: 600px)") : {matches: false};
  function fit() {
    if (phone.matches && window.visualViewport && !panel.hidden) {
      panel.style.height = window.visualViewport.height + "px";
      panel.style.top = window.visualViewport.offsetTop + "px";
    } else {
      panel.style.height = "";
      panel.style.top = "";
    }
  }
  if (window.visualViewport) {
    window.visualViewport.addEventListener("resize", fit);
    window.visualViewport.addEventListener("scroll", fit);
  }

  // A waiting-list offer's link (?slot=TOKEN, sent by SMS or e-mail) opens the chat at that
  // time: the token goes to the server once, and leaves the address bar so a reload does not
  // send it again. The server checks it; here it is only passed on.
  var slot = null;
  try { slot = new URLSearchParams(location.search).get("slot"); } catch (e) { /* ignore */ }
  if (slot && !/^[A-Za-z0-9_-]{1,64}$/.test(slot)) slot = null;
  function takeSlot() {
    var taken = slot;
    slot = null;
    if (taken) {
      try {
        var u = new URL(location.href);
        u.searchParams.delete("slot");
        history.replaceState(history.state, "", u.toString());
      } catch (e) { /* ignore */ }
    }
    return taken;
  }

  var savedOverflow = "";
  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    try { sessionStorage.setItem(store + ":open", "1"); } catch (e) { /* ignore */ }
    if (phone.matches) { savedOverflow = document.documentElement.style.overflow; document.documentElement.style.overflow = "hidden"; }
    fit();
    if (!started) {
      started = true;
      waiting(true);
      openSession().then(function (history) {
        waiting(false);
        var offered = takeSlot();
        if (history.length) show(history, true);
        if (offered) return event({type: "start", slot: offered});
        if (!history.length) return event({type: "start", service: data.service || undefined});
      }).catch(function (e) {
        waiting(false);
        started = false;
        notice(e.status ? e.message : t("retry"));
      }).then(stream);
    } else {
      stream();
      var last = log.lastElementChild;
      if (expects !== "none") input.focus(); else if (last) last.focus({preventScroll: true});
    }
  }
  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    try { sessionStorage.removeItem(store + ":open"); } catch (e) { /* ignore */ }
    if (phone.matches) document.documentElement.style.overflow = savedOverflow;
    if (streamAbort) streamAbort.abort();
    launcher.focus();
  }
  launcher.addEventListener("click", open);
  closer.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  window.Slotbot = {open: open, close: close};

  function mount() {
    document.body.appendChild(host);
    var reopen = false;
    try { reopen = sessionStorage.getItem(store + ":open") === "1"; } catch (e) { /* ignore */ }
    if (reopen || slot) open();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
