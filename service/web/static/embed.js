/* replyguard reader embed: the thread of published replies and the reply form, rendered after its own <script> tag.
 *
 * <script src="https://comments.example/embed.js" data-article-id="geneva-talks" async></script>
 * Optional: data-article-title and data-article-url, sent with each reply; the service keeps them only for an article
 * nobody has described yet (first writer wins; an operator's values always win). data-lang picks the language of the
 * embed's words (else the page's <html lang>, else English): the catalogues are service/web/locales/*.po.
 *
 * No framework, no third-party requests. Everything readers wrote is inserted with textContent, never as markup.
 * The markup lives in a shadow root styled by embed.css; sites theme it with --rg-* custom properties and ::part().
 */
(function () {
  "use strict";

  // Replaced when the service starts (service/web/routes/embed.py) so the client follows the operator's settings.
  var SERVER = {"honeypotField": "homepage", "bodyMaxChars": 5000};
  // Replaced when the service starts with every catalogue (service/web/embed_messages.py): {code: {dir, plural, messages}}.
  var LOCALES = {};

  var NAME_MAX = 80;
  var WEBSITE_MAX = 200;
  // The server's rules (service/rules/validation.py): control, bidi and separator characters, lone surrogates.
  var CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;
  var BODY_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;
  var NOT_IN_URLS = /[\s"<>\\^`{|}]/;
  // A syntax pre-check only: the server's email-validator has the last word, and its 422 shows beside the field.
  var EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

  var script = document.currentScript || document.querySelector("script[data-article-id][src*='embed.js']");
  if (!script || !script.getAttribute("data-article-id")) {
    return;
  }
  var articleId = script.getAttribute("data-article-id");
  var pageSize = Math.min(100, Math.max(1, parseInt(script.getAttribute("data-page-size"), 10) || 20));
  var articleTitle = (script.getAttribute("data-article-title") || "").trim();
  var articleUrl = (script.getAttribute("data-article-url") || "").trim();

  // ---- language -------------------------------------------------------------------------------------------------
  var requested = (script.getAttribute("data-lang") || document.documentElement.lang || "en").trim();
  var primary = requested.toLowerCase().replace("_", "-").split("-")[0];
  var lang = LOCALES[primary] ? primary : "en";
  var locale = LOCALES[lang] || {dir: "ltr", plural: function (n) { return n === 1 ? 0 : 1; }, messages: {}};
  // Dates and numbers in the page's own variant of the language (de-AT, pt-BR) when it is one we speak.
  var region = lang === primary ? requested : lang;
  try {
    new Intl.DateTimeFormat(region);
  } catch (e) {
    region = lang;
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  // The catalogue's text for an English message, or the message itself.
  function t(message, values) {
    var text = locale.messages[message];
    return fill(typeof text === "string" && text ? text : message, values);
  }

  // The plural form for n by the language's CLDR rule (Russian: 1 ответ, 2 ответа, 5 ответов).
  function tn(singular, plural, n, values) {
    var forms = locale.messages[singular];
    var text = forms && forms.length ? forms[locale.plural(n)] || forms[forms.length - 1] : (n === 1 ? singular : plural);
    var all = {n: n.toLocaleString(region)};
    Object.keys(values || {}).forEach(function (key) { all[key] = values[key]; });
    return fill(text, all);
  }

  var AT_MOST = /^must be at most (\d+) characters$/;

  // A field message the server sent (English): in the reader's language when the catalogue has it.
  function serverMessage(message) {
    var limit = AT_MOST.exec(message);
    if (limit) {
      return atMost(parseInt(limit[1], 10));
    }
    return t(message);
  }

  function atMost(n) {
    return tn("must be at most {n} character", "must be at most {n} characters", n);
  }
  // The API lives where this script came from, so the embed works on any allowed site.
  var base = new URL(".", script.src);
  var commentsUrl = new URL("api/v1/articles/" + encodeURIComponent(articleId) + "/comments", base).href;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    // randomUUID needs a secure context; getRandomValues does not.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function chars(text) {
    return Array.from(text).length; // code points, as the server counts
  }

  function responses(n) {
    return tn("{n} Response", "{n} Responses", n);
  }

  // ---- markup ---------------------------------------------------------------------------------------------------
  var host = el("div", "replyguard");
  host.id = "replyguard-" + articleId;
  script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;

  var sheet = el("link");
  sheet.rel = "stylesheet";
  sheet.href = new URL("embed.css", base).href;
  var frame = el("section", "rg");
  frame.setAttribute("part", "root");
  frame.lang = lang;
  frame.dir = locale.dir;
  // Shown once the stylesheet is in, so readers never see the honeypot or unstyled markup flash by.
  frame.hidden = true;
  sheet.onload = sheet.onerror = function () { frame.hidden = false; };
  setTimeout(sheet.onload, 3000);
  root.append(sheet, frame);

  var heading = el("h2", "rg-count", t("Responses"));
  heading.setAttribute("part", "count");
  var thread = el("ol", "rg-thread");
  var loadProblem = el("p", "rg-problem");
  loadProblem.hidden = true;
  var more = el("button", "rg-more", t("More responses"));
  more.type = "button";
  more.hidden = true;
  more.setAttribute("part", "button");
  frame.append(heading, thread, loadProblem, more);

  var form = el("form", "rg-form");
  form.noValidate = true;
  form.setAttribute("part", "form");
  var replying = el("p", "rg-replying");
  replying.hidden = true;
  var replyingName = el("strong");
  var cancel = el("button", "rg-cancel", t("Cancel reply"));
  cancel.type = "button";
  var around = t("Replying to {name}").split("{name}");
  replying.append(around[0], replyingName, around.slice(1).join(""), " ", cancel);
  var parentError = el("p", "rg-error");
  parentError.setAttribute("role", "alert");
  form.append(
    el("h3", "rg-title", t("Leave a Reply")),
    replying,
    parentError,
    el("p", "rg-note", t("Your email address will not be published. Required fields are marked *"))
  );

  var fields = {};
  function field(name, label, control, required) {
    var wrap = el("p", "rg-field");
    wrap.setAttribute("data-field", name);
    var id = "rg-" + name;
    var caption = el("label", "", t(label));
    caption.htmlFor = id;
    if (required) {
      caption.append(el("span", "rg-required", " *"));
      control.required = true;
    }
    control.id = id;
    control.name = name;
    var error = el("span", "rg-error");
    error.id = id + "-error";
    control.setAttribute("aria-describedby", error.id);
    wrap.append(caption, control, error);
    form.append(wrap);
    fields[name] = {control: control, error: error};
  }
  var name = el("input");
  name.autocomplete = "name";
  field("name", "Name", name, true);
  var email = el("input");
  email.type = "email";
  email.autocomplete = "email";
  field("email", "Email", email, true);
  var website = el("input");
  website.type = "url";
  website.autocomplete = "url";
  field("website", "Website", website, false);
  var body = el("textarea");
  body.rows = 6;
  field("body", "Comment", body, true);
  // WordPress's wording, which readers know. Ticked, the first request sends one confirmation mail; nothing else is
  // sent until the reader confirms from it.
  var notifyWrap = el("p", "rg-field rg-notify");
  var notify = el("input");
  notify.type = "checkbox";
  notify.id = "rg-notify";
  notify.name = "notify";
  var notifyLabel = el("label", "", " " + t("Notify me of replies to my comment"));
  notifyLabel.htmlFor = "rg-notify";
  notifyWrap.append(notify, notifyLabel);
  form.append(notifyWrap);

  // The honeypot: moved off-screen by the stylesheet's class (no inline style: page CSPs may forbid it),
  // out of the tab order and hidden from assistive technology. People leave it empty; bots fill it in.
  var trap = el("p", "rg-hp");
  trap.setAttribute("aria-hidden", "true");
  var trapInput = el("input");
  trapInput.name = SERVER.honeypotField;
  trapInput.tabIndex = -1;
  trapInput.autocomplete = "off";
  var trapLabel = el("label", "", t("Leave this field empty") + " ");
  trapLabel.append(trapInput);
  trap.append(trapLabel);

  var status = el("p", "rg-status");
  status.setAttribute("role", "status");
  var submit = el("button", "rg-submit", t("Post Comment"));
  submit.type = "submit";
  submit.setAttribute("part", "button");
  form.append(trap, status, submit);
  frame.append(form);

  // ---- the reader's own replies ----------------------------------------------------------------------------------
  // The edit token of each reply this browser posted, kept until its window closes: {comment id: {token, until}}.
  // Only this browser has it (the service stores its hash), so only here are Edit and Delete offered.
  var OWN_KEY = "replyguard-own-replies";

  function readOwn() {
    var kept = {};
    try {
      var stored = JSON.parse(window.localStorage.getItem(OWN_KEY) || "{}");
      var now = Date.now();
      Object.keys(stored || {}).forEach(function (id) {
        var entry = stored[id];
        if (entry && typeof entry.token === "string" && Date.parse(entry.until) > now) {
          kept[id] = {token: entry.token, until: entry.until};
        }
      });
    } catch (e) {
      return {}; // storage off (private mode, blocked): the reader simply gets no Edit and Delete
    }
    return kept;
  }

  function writeOwn(entries) {
    try {
      window.localStorage.setItem(OWN_KEY, JSON.stringify(entries));
    } catch (e) {
      // Full or blocked: nothing to do, editing is a convenience.
    }
  }

  var own = readOwn();
  writeOwn(own); // expired entries purged

  function remember(answer) {
    if (answer.edit_token && answer.editable_until) {
      own = readOwn();
      own[answer.id] = {token: answer.edit_token, until: answer.editable_until};
      writeOwn(own);
    }
  }

  function forget(id) {
    own = readOwn();
    delete own[id];
    writeOwn(own);
  }

  function ownEntry(id) {
    var entry = own[id];
    return entry && Date.parse(entry.until) > Date.now() ? entry : null;
  }

  function authorRequest(method, id, payload) {
    var entry = ownEntry(id);
    var options = {
      method: method,
      credentials: "omit",
      headers: {Accept: "application/json", Authorization: "Bearer " + (entry ? entry.token : "")}
    };
    if (payload) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(commentsUrl + "/" + encodeURIComponent(id), options).then(function (response) {
      if (response.status === 204) {
        return {response: response, answer: {}};
      }
      return response.json().catch(function () { return {}; }).then(function (answer) {
        return {response: response, answer: answer};
      });
    });
  }

  function placeholder(li) {
    li.classList.add("rg-deleted");
    li.querySelectorAll(":scope > .rg-meta, :scope > .rg-body, :scope > .rg-reply, :scope > .rg-own")
      .forEach(function (node) { node.remove(); });
    var note = el("p", "rg-placeholder", t("This reply was deleted by its author."));
    li.insertBefore(note, li.firstChild);
  }

  // Edit and Delete under a reply of this browser's, while its window lasts. `waiting`: the reply awaits moderation
  // and is shown only to its author, in a box above the form (readers do not see it in the thread).
  function ownControls(item, li, text, replyButton, waiting) {
    var entry = ownEntry(item.id);
    if (!entry) {
      return null;
    }
    var box = el("div", "rg-own");
    var notice = el("p", "rg-own-status");
    notice.setAttribute("role", "status");
    var edit = el("button", "rg-edit", t("Edit"));
    edit.type = "button";
    var remove = el("button", "rg-delete", t("Delete"));
    remove.type = "button";
    var editor = el("div", "rg-editor");
    editor.hidden = true;
    var area = el("textarea", "rg-edit-body");
    area.rows = 4;
    area.setAttribute("aria-label", t("Edit your reply"));
    var areaError = el("span", "rg-error");
    var save = el("button", "rg-save", t("Save"));
    save.type = "button";
    var stop = el("button", "rg-cancel-edit", t("Cancel"));
    stop.type = "button";
    editor.append(area, areaError, save, " ", stop);
    var confirmBox = el("p", "rg-confirm");
    confirmBox.hidden = true;
    var yes = el("button", "rg-confirm-delete", t("Yes, delete"));
    yes.type = "button";
    var no = el("button", "rg-keep", t("Keep it"));
    no.type = "button";
    confirmBox.append(t("Delete this reply? This cannot be undone."), " ", yes, " ", no);
    box.append(edit, " ", remove, editor, confirmBox, notice);

    function close(message) {
      forget(item.id);
      edit.remove();
      remove.remove();
      editor.remove();
      confirmBox.remove();
      notice.textContent = message || "";
    }
    // The window ends by itself: the buttons go with it (the service would refuse them anyway).
    var left = Date.parse(entry.until) - Date.now();
    if (left < 2147483647) {
      setTimeout(function () { close(""); }, Math.max(0, left));
    }

    function failed(response, answer) {
      if (response.status === 400 || response.status === 422) {
        var first = (answer.errors || [])[0];
        areaError.textContent = first ? serverMessage(String(first.message)) : t("Please correct the marked fields.");
      } else if (answer.code === "edit_window_closed" || answer.code === "deleted" || response.status === 404) {
        close(t("The time to edit this reply has passed."));
      } else {
        notice.textContent = t("Your change could not be saved just now. Please try again.");
      }
    }

    edit.addEventListener("click", function () {
      area.value = text.textContent;
      areaError.textContent = "";
      notice.textContent = "";
      editor.hidden = false;
      confirmBox.hidden = true;
      area.focus();
    });
    stop.addEventListener("click", function () { editor.hidden = true; });
    save.addEventListener("click", function () {
      var value = area.value;
      if (!value.trim()) {
        areaError.textContent = t("is required");
        return;
      }
      if (chars(value.trim()) > SERVER.bodyMaxChars) {
        areaError.textContent = atMost(SERVER.bodyMaxChars);
        return;
      }
      save.disabled = true;
      authorRequest("PATCH", item.id, {body: value}).then(function (result) {
        if (result.response.status !== 200) {
          failed(result.response, result.answer);
          return;
        }
        editor.hidden = true;
        if (result.answer.status === "published" && waiting) {
          li.remove(); // it joins the thread, with its Edit and Delete
          showPublished(result.answer);
          say(t("Your edit is published."), "ok");
        } else if (result.answer.status === "published") {
          text.textContent = result.answer.body;
          notice.textContent = t("Your edit is published.");
        } else if (waiting) {
          text.textContent = result.answer.body;
          notice.textContent = t("Your edited reply is awaiting moderation.");
        } else {
          // It left readers' view (with what hangs under it): the author is told, nobody else sees it.
          text.textContent = "";
          replyButton.remove();
          li.classList.add("rg-held");
          close(t("Your edited reply is awaiting moderation."));
        }
      }, function () {
        notice.textContent = t("Your change could not be saved just now. Please try again.");
      }).then(function () { save.disabled = false; });
    });
    remove.addEventListener("click", function () {
      editor.hidden = true;
      confirmBox.hidden = false;
      yes.focus();
    });
    no.addEventListener("click", function () { confirmBox.hidden = true; });
    yes.addEventListener("click", function () {
      yes.disabled = true;
      authorRequest("DELETE", item.id).then(function (result) {
        if (result.response.status !== 204) {
          failed(result.response, result.answer);
          return;
        }
        forget(item.id);
        if (waiting) {
          li.remove(); // it never counted: readers did not see it
          say("");
          return;
        }
        setCount(Math.max(0, count - 1));
        if (shown[item.id] && shown[item.id].children.length) {
          placeholder(li); // its replies keep their place under it
        } else {
          li.remove();
        }
      }, function () {
        notice.textContent = t("Your change could not be saved just now. Please try again.");
      }).then(function () { yes.disabled = false; });
    });
    return box;
  }

  // ---- thread ---------------------------------------------------------------------------------------------------
  var shown = {}; // comment id -> its replies list, so a page loaded later never repeats a comment
  var count = 0;
  var cursor = null;
  var replyTo = null;

  function setCount(n) {
    count = n;
    heading.textContent = responses(n);
  }

  function renderComment(item) {
    if (shown[item.id]) {
      return null;
    }
    var li = el("li", "rg-comment");
    li.id = "comment-" + item.id;
    li.setAttribute("part", "comment");
    if (item.deleted) {
      // Deleted by its author, kept only so the replies under it stay in place; it takes no replies itself.
      var deletedReplies = el("ol", "rg-replies");
      li.append(deletedReplies);
      placeholder(li);
      shown[item.id] = deletedReplies;
      (item.replies || []).forEach(function (child) { appendTo(deletedReplies, child); });
      return li;
    }
    var meta = el("p", "rg-meta");
    var when = new Date(item.created_at);
    var time = el("time", "rg-time", when.toLocaleString(region, {dateStyle: "medium", timeStyle: "short"}));
    time.dateTime = item.created_at;
    var author = el("strong", "rg-author", item.name);
    author.dir = "auto"; // a Latin name on an Arabic page, or the other way round, keeps its own direction
    meta.append(author, " ", time);
    var reply = el("button", "rg-reply", t("Reply"));
    reply.type = "button";
    reply.setAttribute("aria-label", t("Reply to {name}", {name: item.name}));
    reply.addEventListener("click", function () { startReply(item); });
    var report = el("button", "rg-report", t("Report"));
    report.type = "button";
    report.setAttribute("aria-label", t("Report the reply of {name}", {name: item.name}));
    report.setAttribute("aria-expanded", "false");
    var replies = el("ol", "rg-replies");
    var text = el("div", "rg-body", item.body);
    text.dir = "auto";
    report.addEventListener("click", function () { toggleReport(item, report, replies); });
    li.append(meta, text, reply, " ", report);
    var mine = ownControls(item, li, text, reply);
    if (mine) {
      li.append(mine);
    }
    li.append(replies);
    shown[item.id] = replies;
    (item.replies || []).forEach(function (child) { appendTo(replies, child); });
    return li;
  }

  function appendTo(list, item) {
    var li = renderComment(item);
    if (li) {
      list.append(li);
    }
  }

  function startReply(item) {
    replyTo = item;
    replyingName.textContent = item.name;
    replying.hidden = false;
    parentError.textContent = "";
    body.focus();
  }

  cancel.addEventListener("click", function () {
    replyTo = null;
    replying.hidden = true;
    parentError.textContent = "";
  });

  function getJson(url) {
    // "no-cache": revalidate with the ETag (a cheap 304) rather than trust max-age, so a reader who just posted
    // and reloads sees the reply; shared caches in front of the service still serve their copies.
    var options = {credentials: "omit", cache: "no-cache", headers: {Accept: "application/json"}};
    return fetch(url, options).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function loadPage() {
    var url = new URL(commentsUrl);
    url.searchParams.set("limit", String(pageSize));
    if (cursor) {
      url.searchParams.set("cursor", cursor);
    }
    more.disabled = true;
    return getJson(url.href).then(function (page) {
      page.items.forEach(function (item) { appendTo(thread, item); });
      cursor = page.next_cursor;
      more.hidden = !cursor;
      loadProblem.hidden = true;
    }).catch(function () {
      loadProblem.textContent = t("Responses could not be loaded just now.");
      loadProblem.hidden = false;
    }).then(function () {
      more.disabled = false;
    });
  }

  more.addEventListener("click", loadPage);

  getJson(commentsUrl + "/count").then(function (answer) { setCount(answer.count); }, function () {});
  loadPage().then(function () {
    // A fragment such as #comment-<id> (the no-JavaScript form's 303) cannot reach into a shadow root by itself.
    var target = location.hash.slice(1) && root.getElementById && root.getElementById(location.hash.slice(1));
    if (target) {
      target.scrollIntoView();
    }
  });

  // ---- reports --------------------------------------------------------------------------------------------------
  // A reader reports a published reply (service/domain/reports.py). The form opens under the reply; what the reader
  // types goes out as JSON and comes back, if at all, only as the server's field messages (never echoed).
  var REPORT_REASONS = [["spam", "Spam"], ["abuse", "Abuse or harassment"], ["off_topic", "Off topic"],
    ["illegal", "Illegal content"]];
  var EXPLANATION_MAX = 1000;

  function reportsUrl(id) {
    var path = "api/v1/articles/" + encodeURIComponent(articleId) + "/comments/" + encodeURIComponent(id) + "/reports";
    return new URL(path, base).href;
  }

  function toggleReport(item, opener, before) {
    var open = opener.reportForm;
    if (open) {
      open.remove();
      opener.reportForm = null;
      opener.setAttribute("aria-expanded", "false");
      return;
    }
    var box = reportForm(item, opener);
    opener.reportForm = box;
    opener.setAttribute("aria-expanded", "true");
    before.parentNode.insertBefore(box, before);
    box.querySelector("input").focus();
  }

  function reportForm(item, opener) {
    var box = el("form", "rg-report-form");
    box.noValidate = true;
    box.setAttribute("part", "report-form");
    var prefix = "rg-report-" + item.id;
    var errors = {};

    var reasons = el("fieldset", "rg-report-reasons");
    reasons.append(el("legend", "", t("Why are you reporting this reply?")));
    REPORT_REASONS.forEach(function (pair) {
      var radio = el("input");
      radio.type = "radio";
      radio.name = "reason";
      radio.value = pair[0];
      radio.id = prefix + "-" + pair[0];
      var label = el("label", "rg-report-reason", " " + t(pair[1]));
      label.htmlFor = radio.id;
      var line = el("span", "rg-report-choice");
      line.append(radio, label);
      reasons.append(line);
    });
    errors.reason = el("span", "rg-error");
    errors.reason.setAttribute("role", "alert");
    reasons.append(errors.reason);

    function described(control, key, label, required) {
      var wrap = el("p", "rg-field");
      wrap.setAttribute("data-report-field", key);
      control.id = prefix + "-" + key;
      control.name = key;
      var caption = el("label", "", t(label));
      caption.htmlFor = control.id;
      var mark = el("span", "rg-required", " *");
      mark.hidden = !required;
      caption.append(mark);
      errors[key] = el("span", "rg-error");
      errors[key].id = control.id + "-error";
      control.setAttribute("aria-describedby", errors[key].id);
      wrap.append(caption, control, errors[key]);
      return {wrap: wrap, mark: mark};
    }
    var explanation = el("textarea");
    explanation.rows = 3;
    var explained = described(explanation, "explanation", "Explanation", false);
    var contact = el("input");
    contact.type = "email";
    contact.autocomplete = "email";
    var contacted = described(contact, "contact_email",
      "Your email, if moderators may ask you about your report (optional, never published)", false);
    // Illegal content needs an explanation (which law, which harm): the asterisk follows the chosen reason.
    reasons.addEventListener("change", function () {
      var chosen = box.querySelector("input[name=reason]:checked");
      explained.mark.hidden = !(chosen && chosen.value === "illegal");
      explanation.required = !explained.mark.hidden;
    });

    var reportStatus = el("p", "rg-report-status");
    reportStatus.setAttribute("role", "status");
    var send = el("button", "rg-report-send", t("Send report"));
    send.type = "submit";
    send.setAttribute("part", "button");
    var close = el("button", "rg-report-cancel", t("Cancel"));
    close.type = "button";
    close.addEventListener("click", function () {
      toggleReport(item, opener, null);
      opener.focus();
    });
    box.append(reasons, explained.wrap, contacted.wrap, reportStatus, send, " ", close);

    function show(problems) {
      var first = null;
      Object.keys(errors).forEach(function (key) {
        errors[key].textContent = problems[key] || "";
        var control = key === "reason" ? box.querySelector("input[name=reason]") : box.querySelector("[name=" + key + "]");
        if (problems[key]) {
          control.setAttribute("aria-invalid", "true");
          first = first || control;
        } else {
          control.removeAttribute("aria-invalid");
        }
      });
      if (first) {
        first.focus();
      }
    }

    function tell(message, kind) {
      reportStatus.textContent = message;
      reportStatus.className = "rg-report-status" + (kind ? " rg-status-" + kind : "");
    }

    var busy = false;
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      var chosen = box.querySelector("input[name=reason]:checked");
      var text = explanation.value.trim();
      var address = contact.value.trim();
      var problems = {};
      if (!chosen) {
        problems.reason = t("Please choose a reason.");
      }
      if (chosen && chosen.value === "illegal" && !text) {
        problems.explanation = t("is required for illegal content");
      } else if (chars(text) > EXPLANATION_MAX) {
        problems.explanation = atMost(EXPLANATION_MAX);
      } else if (BODY_CONTROL.test(text)) {
        problems.explanation = t("must not contain control characters");
      }
      if (address && !EMAIL.test(address)) {
        problems.contact_email = t("must be a valid email address");
      }
      show(problems);
      if (Object.keys(problems).length) {
        tell(t("Please correct the marked fields."), "error");
        return;
      }
      var payload = {reason: chosen.value};
      if (text) {
        payload.explanation = text;
      }
      if (address) {
        payload.contact_email = address;
      }
      busy = true;
      send.disabled = true;
      tell(t("Sending…"));
      fetch(reportsUrl(item.id), {
        method: "POST",
        credentials: "omit",
        headers: {"Content-Type": "application/json", Accept: "application/json"},
        body: JSON.stringify(payload)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.status === 201 || response.status === 200) {
            // The same thanks for a repeated report: it is stored once either way.
            var thanks = el("p", "rg-report-thanks", t("Thank you. Moderators will look at your report."));
            thanks.setAttribute("role", "status");
            box.replaceWith(thanks);
            opener.reportForm = null;
            opener.disabled = true;
            opener.setAttribute("aria-expanded", "false");
          } else if (response.status === 422 || response.status === 400) {
            var found = {};
            (answer.errors || []).forEach(function (error) {
              found[error.field] = found[error.field] || serverMessage(String(error.message));
            });
            show(found);
            tell(t("Please correct the marked fields."), "error");
          } else if (response.status === 429) {
            tell(t("Too many reports just now. Please try again later."), "error");
          } else if (response.status === 404) {
            tell(t("This reply can no longer be reported."), "error");
          } else {
            tell(t("Your report could not be sent just now. Please try again."), "error");
          }
        });
      }).catch(function () {
        tell(t("Your report could not be sent just now. Please try again."), "error");
      }).then(function () {
        busy = false;
        send.disabled = false;
      });
    });
    return box;
  }

  // ---- form -----------------------------------------------------------------------------------------------------
  function check(values) {
    var problems = {};
    var trimmedName = values.name.trim();
    if (!trimmedName) {
      problems.name = t("is required");
    } else if (chars(trimmedName) > NAME_MAX) {
      problems.name = atMost(NAME_MAX);
    } else if (CONTROL.test(trimmedName)) {
      problems.name = t("must not contain control characters");
    }
    var address = values.email.trim();
    if (!address) {
      problems.email = t("is required");
    } else if (!EMAIL.test(address)) {
      problems.email = t("must be a valid email address");
    }
    var text = values.body.trim();
    if (!text) {
      problems.body = t("is required");
    } else if (chars(text) > SERVER.bodyMaxChars) {
      problems.body = atMost(SERVER.bodyMaxChars);
    } else if (BODY_CONTROL.test(values.body)) {
      problems.body = t("must not contain control characters");
    }
    var site = values.website.trim();
    if (site) {
      var url = null;
      try {
        url = new URL(site);
      } catch (e) {
        url = null;
      }
      if (chars(site) > WEBSITE_MAX) {
        problems.website = atMost(WEBSITE_MAX);
      } else if (!url || !/^https?:$/.test(url.protocol) || !url.hostname || NOT_IN_URLS.test(site) || CONTROL.test(site)) {
        problems.website = t("must be an http or https URL");
      }
    }
    return problems;
  }

  function showErrors(problems) {
    var first = null;
    Object.keys(fields).forEach(function (key) {
      var message = problems[key] || "";
      fields[key].error.textContent = message;
      if (message) {
        fields[key].control.setAttribute("aria-invalid", "true");
        first = first || fields[key].control;
      } else {
        fields[key].control.removeAttribute("aria-invalid");
      }
    });
    parentError.textContent = problems.parent_id
      ? t("The comment you are replying to {problem}", {problem: problems.parent_id}) : "";
    if (first) {
      first.focus();
    }
  }

  function say(message, kind) {
    status.textContent = message;
    status.className = "rg-status" + (kind ? " rg-status-" + kind : "");
  }

  var sending = false;
  var attempt = null; // {payload, key}: a retry of the same reply reuses its key, so it is stored once

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) {
      return;
    }
    var values = {name: name.value, email: email.value, body: body.value, website: website.value};
    var problems = check(values);
    showErrors(problems);
    if (Object.keys(problems).length) {
      say(t("Please correct the marked fields."), "error");
      return;
    }
    var payload = {name: values.name.trim(), email: values.email.trim(), body: values.body};
    if (values.website.trim()) {
      payload.website = values.website.trim();
    }
    if (replyTo) {
      payload.parent_id = replyTo.id;
    }
    if (notify.checked) {
      payload.notify = true;
    }
    if (articleTitle) {
      payload.article_title = articleTitle;
    }
    if (articleUrl) {
      payload.article_url = articleUrl;
    }
    payload[SERVER.honeypotField] = trapInput.value;
    var json = JSON.stringify(payload);
    if (!attempt || attempt.payload !== json) {
      attempt = {payload: json, key: uuid()};
    }
    sending = true;
    submit.disabled = true;
    say(t("Sending…"));
    fetch(commentsUrl, {
      method: "POST",
      credentials: "omit",
      headers: {"Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": attempt.key},
      body: json
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        handleAnswer(response, answer);
      });
    }).catch(function () {
      say(t("Your reply could not be sent. Please check your connection and try again."), "error");
    }).then(function () {
      sending = false;
      submit.disabled = false;
    });
  });

  function showPublished(answer) {
    var list = (answer.parent_id && shown[answer.parent_id]) || thread;
    appendTo(list, answer);
    setCount(count + 1);
    var mine = root.getElementById && root.getElementById("comment-" + answer.id);
    if (mine) {
      mine.scrollIntoView({block: "nearest"});
    }
  }

  // A reply awaiting moderation, shown to its author only (for this visit) with Edit and Delete while they last.
  function showWaiting(answer) {
    var box = el("div", "rg-waiting");
    box.id = "waiting-" + answer.id;
    var text = el("div", "rg-body", answer.body);
    text.dir = "auto";
    var controls = ownControls(answer, box, text, el("span"), true);
    if (!controls) {
      return;
    }
    box.append(el("p", "rg-waiting-note", t("Your reply is awaiting moderation.")), text, controls);
    frame.insertBefore(box, form);
  }

  function handleAnswer(response, answer) {
    if (response.status === 201) {
      attempt = null;
      remember(answer);
      body.value = "";
      if (answer.status === "published") {
        showPublished(answer);
        say(t("Your reply is published."), "ok");
      } else {
        say(t("Your reply is awaiting moderation."), "ok");
        showWaiting(answer);
      }
      cancel.click();
      return;
    }
    if (response.status === 400 || response.status === 422) {
      var problems = {};
      (answer.errors || []).forEach(function (error) {
        problems[error.field] = problems[error.field] || serverMessage(String(error.message));
      });
      showErrors(problems);
      // The server's summary is English; in another language the catalogue's says the same.
      say(lang === "en" && answer.detail ? answer.detail : t("Please correct the marked fields."), "error");
      return;
    }
    if (response.status === 429) {
      var wait = parseInt(response.headers.get("Retry-After"), 10);
      say(wait ? tn("Too many replies just now. Please try again in {n} second.",
                    "Too many replies just now. Please try again in {n} seconds.", wait)
        : t("Too many replies just now. Please try again shortly."), "error");
    } else if (response.status === 403) {
      say(t("Replies are closed for this article."), "error");
    } else {
      say(t("Your reply could not be sent just now. Please try again."), "error");
    }
  }
})();
