// call-tracker's dynamic number insertion snippet, for a website's pages:
//   <script src="https://calls.example.com/dni.js?pool=website" async></script>
// It asks the server that served it for a number of the pool, shows it in place of the business
// number the pool replaces (in text and tel: links, content added later included), remembers the
// visit in a first-party cookie, and renews the number while the page is visible. Any failure
// leaves the page as it was, with the business's own number. No dependencies, no other requests.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !window.fetch || !window.URL) return;
  var scriptUrl = new URL(script.src);
  var server = scriptUrl.origin;
  var pool = scriptUrl.searchParams.get('pool') || script.getAttribute('data-pool') || 'website';
  var cookieName = 'ct_dni_' + pool.replace(/\W/g, '_');
  var TIMEOUT_MS = 3000;
  /** Runs of digits with the separators phone numbers are written with. */
  var PHONE_TEXT = /\+?\(?\d[\d\s().\u00a0-]{5,}\d/g;
  var SKIPPED = { SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEXTAREA: 1, INPUT: 1, SELECT: 1, OPTION: 1 };

  var visitId = null;
  var shown = null;
  /** Numbers (E.164 digits) to replace: the business number, then any pool number shown before. */
  var replaced = [];
  var heartbeat = null;

  function readCookie() {
    var match = document.cookie.match(new RegExp('(?:^|; )' + cookieName + '=([A-Za-z0-9_-]{22})(?:;|$)'));
    return match ? match[1] : null;
  }

  function writeCookie(id, seconds) {
    document.cookie = cookieName + '=' + id + '; Max-Age=' + Math.max(0, Math.floor(seconds)) + '; Path=/; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }

  function post(path, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    // text/plain keeps it a simple CORS request: no preflight round trip before the number.
    return fetch(server + path, {
      method: 'POST', mode: 'cors', credentials: 'omit', body: JSON.stringify(body), signal: controller.signal,
      headers: { 'content-type': 'text/plain' },
    }).then(function (res) {
      clearTimeout(timer);
      if (!res.ok) throw new Error('status ' + res.status);
      return res.json();
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  // How a number was written, so the pool number can be written the same way: in full
  // international digits, after 00, or nationally (country code dropped, maybe a trunk 0 added).
  function formOf(digits, e164) {
    if (digits === e164) return { cc: '', lead: '' };
    if (digits === '00' + e164) return { cc: '', lead: '00' };
    for (var cc = 1; cc <= 3; cc++) {
      var national = e164.slice(cc);
      if (national.length < 6) break;
      if (digits === national) return { cc: e164.slice(0, cc), lead: '' };
      if (digits === '0' + national) return { cc: e164.slice(0, cc), lead: '0' };
    }
    return null;
  }

  function digitsIn(form, e164) {
    if (!form.cc) return form.lead + e164;
    return e164.indexOf(form.cc) === 0 ? form.lead + e164.slice(form.cc.length) : null;
  }

  /** The written number with its digits replaced one by one, separators kept. */
  function rewrite(written, digits) {
    var out = '';
    var next = 0;
    for (var i = 0; i < written.length; i++) {
      var c = written.charAt(i);
      if (c >= '0' && c <= '9') out += next < digits.length ? digits.charAt(next++) : '';
      else out += c;
    }
    return out + digits.slice(next);
  }

  /** The pool number written like `written`, or null when `written` is not a number to replace. */
  function replacement(written) {
    var digits = written.replace(/\D/g, '');
    for (var i = 0; i < replaced.length; i++) {
      var form = formOf(digits, replaced[i]);
      if (!form) continue;
      var shownDigits = digitsIn(form, shown);
      return shownDigits === null ? '+' + shown : rewrite(written, shownDigits);
    }
    return null;
  }

  var isDigit = function (c) { return c >= '0' && c <= '9'; };

  /**
   * A run of digits and separators may hold more than the number ("020 7946 0000 - 24 hours"):
   * the longest start of it that is a number to replace is replaced, and the rest looked at again.
   */
  function swapRun(run) {
    for (var end = run.length; end > 0; end--) {
      if (!isDigit(run.charAt(end - 1)) || isDigit(run.charAt(end))) continue;
      var swapped = replacement(run.slice(0, end));
      if (swapped) return swapped + swapRun(run.slice(end));
    }
    var skipped = /^\D*\d+[\s.\u00a0-]*/.exec(run);
    return skipped && skipped[0].length < run.length ? skipped[0] + swapRun(run.slice(skipped[0].length)) : run;
  }

  function swapText(node) {
    var text = node.nodeValue;
    if (!text || !/\d/.test(text)) return;
    var changed = text.replace(PHONE_TEXT, swapRun);
    if (changed !== text) node.nodeValue = changed;
  }

  function swapLink(link) {
    var href = link.getAttribute('href') || '';
    var digits;
    try {
      digits = decodeURIComponent(href.slice(4)).split(/[;?]/)[0].replace(/\D/g, '');
    } catch (error) {
      return;
    }
    for (var i = 0; i < replaced.length; i++) {
      if (formOf(digits, replaced[i])) {
        link.setAttribute('href', 'tel:+' + shown);
        return;
      }
    }
  }

  function swapIn(root) {
    if (root.nodeType === 3) return swapText(root);
    if (root.nodeType !== 1 && root.nodeType !== 9) return;
    if (root.nodeType === 1 && SKIPPED[root.nodeName]) return;
    if (root.nodeType === 1 && root.matches('a[href^="tel:"]')) swapLink(root);
    var links = root.querySelectorAll('a[href^="tel:"]');
    for (var i = 0; i < links.length; i++) swapLink(links[i]);
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentNode && SKIPPED[node.parentNode.nodeName] ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      },
    });
    for (var node = walker.nextNode(); node; node = walker.nextNode()) swapText(node);
  }

  function show(answer) {
    if (replaced.indexOf(answer.replaces) < 0) replaced.unshift(answer.replaces);
    if (shown && shown !== answer.number && replaced.indexOf(shown) < 0) replaced.push(shown);
    replaced = replaced.filter(function (n) { return n !== answer.number; });
    shown = answer.number;
    visitId = answer.visitId;
    writeCookie(visitId, answer.holdSeconds);
    swapIn(document);
  }

  function tags() {
    var query = new URLSearchParams(location.search);
    var tag = function (name) { return query.get(name) || null; };
    return {
      pool: pool, visitId: readCookie(),
      utmSource: tag('utm_source'), utmMedium: tag('utm_medium'), utmCampaign: tag('utm_campaign'),
      utmTerm: tag('utm_term'), utmContent: tag('utm_content'), gclid: tag('gclid'),
      referrer: document.referrer || null, landingPage: location.origin + location.pathname,
    };
  }

  function requestNumber() {
    return post('/dni/visits', tags()).then(function (answer) {
      show(answer);
      startHeartbeat(answer.heartbeatSeconds);
    });
  }

  function beat() {
    if (document.visibilityState !== 'visible' || !visitId) return;
    post('/dni/visits/' + visitId + '/heartbeat', {}).then(function (answer) {
      if (answer.held) writeCookie(visitId, answer.holdSeconds);
      else return requestNumber();
    }).catch(function () { /* the number shown stays; the next beat tries again */ });
  }

  function startHeartbeat(seconds) {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = setInterval(beat, seconds * 1000);
  }

  function observe() {
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var m = mutations[i];
        if (m.type === 'characterData') swapText(m.target);
        for (var j = 0; j < m.addedNodes.length; j++) swapIn(m.addedNodes[j]);
      }
    }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
    document.addEventListener('visibilitychange', beat);
  }

  requestNumber().then(observe, function () { /* unreachable or refused: the business number stays */ });
})();
