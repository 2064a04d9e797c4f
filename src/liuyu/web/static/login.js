// The login page: POST /api/login (JSON), then back to the map; shows who is logged in and logs out.
const $ = (id) => document.getElementById(id);
const MESSAGES = {
  400: "请输入用户名和密码 Give user and password",
  401: "用户名或密码错误 Wrong user or password",
  404: "此服务器尚未建立账户 No accounts on this server yet",
  429: "登录失败次数过多，请稍后再试 Too many failed logins, try again later",
};

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)liuyu_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

async function showWho() {
  const me = await (await fetch("api/me")).json();
  const who = $("who");
  if (me.user && me.via === "session") {
    who.textContent = `已登录 Logged in: ${me.user} (${me.role}@${me.jurisdiction})`;
    who.hidden = false;
    $("logout-button").hidden = false;
  } else {
    who.hidden = true;
    $("logout-button").hidden = true;
  }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("message").textContent = "";
  const resp = await fetch("api/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: $("user").value, password: $("password").value }),
  });
  if (resp.ok) {
    const next = new URLSearchParams(location.search).get("next");
    location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "map";
    return;
  }
  const wait = resp.headers.get("Retry-After");
  $("message").textContent = (MESSAGES[resp.status] || `错误 Error ${resp.status}`) + (wait ? ` (${wait} s)` : "");
});

$("logout-button").addEventListener("click", async () => {
  await fetch("api/logout", { method: "POST", headers: { "X-CSRF-Token": csrf() } });
  await showWho();
});

showWho();
