// Double-submit CSRF: every same-origin request that changes something carries the session's
// CSRF token (the readable liuyu_csrf cookie set at login) in X-CSRF-Token. Loaded first by each page,
// so the pages' own fetch calls need not know about it. Without a login (local mode, tokens) it does nothing.
(() => {
  const original = window.fetch.bind(window);
  const token = () => {
    const m = document.cookie.match(/(?:^|;\s*)liuyu_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  };
  window.fetch = (input, init = {}) => {
    const method = (init.method || (input instanceof Request ? input.method : "GET")).toUpperCase();
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    const csrf = token();
    if (csrf && url.origin === location.origin && !["GET", "HEAD", "OPTIONS"].includes(method)) {
      const headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
      if (!headers.has("X-CSRF-Token")) headers.set("X-CSRF-Token", csrf);
      init = { ...init, headers };
    }
    return original(input, init);
  };
})();
