// The history page: sends the token and the re-entered password to the endpoint and shows the
// answer as a table, or each result code as a message a person can act on.
//
// Nothing is stored: the token lives in the page's memory (and the password field) only, never
// in localStorage, sessionStorage or a cookie. A signed-in user arrives with the token in the
// URL fragment (#token=...), which never reaches a server; the page takes it from there and
// removes it from the address bar.
const ENDPOINT = "/user/info/get_user_info_modification_log";

const MESSAGES = {
  10001: "Your sign-in has expired or is not valid. Please sign in again.",
  10002: "Viewing your history is not available right now. Please try again later.",
  10003: "The request could not be understood. Please reload the page and try again.",
  10004: "That password is not correct. Please try again.",
  10006: "Something went wrong on our side. Please try again later.",
  10007: "The history service could not be found. Please try again later.",
  10008: "The history service could not be found. Please try again later.",
};

const FIELD_NAMES = {
  nickname: "Nickname",
  phone_number: "Phone number",
  email: "Email",
  id_number: "ID number",
};

const $ = (id) => document.getElementById(id);

function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token")?.trim();
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

function show(message, kind) {
  const box = $("message");
  box.textContent = message;
  box.className = kind;
  box.hidden = false;
}

function lockoutMessage(retryAfter) {
  const seconds = Number(retryAfter);
  if (!(seconds > 0)) return "Too many attempts. Please wait a while before trying again.";
  const minutes = Math.ceil(seconds / 60);
  const wait = minutes <= 1 ? "a minute" : `${minutes} minutes`;
  return `Too many attempts. Please wait ${wait} before trying again.`;
}

function cell(text) {
  const td = document.createElement("td");
  if (text === "") {
    td.textContent = "(none)";
    td.className = "empty-value";
  } else {
    td.textContent = text;
  }
  return td;
}

// The service shows times at its configured UTC offset and names it in a header; the times
// themselves carry none.
function zoneName(offset) {
  return !offset || offset === "+00:00" ? "UTC" : `UTC${offset}`;
}

function render(logs, offset) {
  $("zone-caption").textContent = zoneName(offset);
  $("zone-column").textContent = zoneName(offset);
  const body = $("changes").querySelector("tbody");
  body.replaceChildren(
    ...logs.map((log) => {
      const row = document.createElement("tr");
      row.append(
        cell(log.modification_time.replace("T", " ")),
        // Own properties only: a stored type such as "constructor" must show as itself.
        cell(
          Object.hasOwn(FIELD_NAMES, log.data_type) ? FIELD_NAMES[log.data_type] : log.data_type,
        ),
        cell(log.data_before_modification),
        cell(log.data_after_modification),
      );
      return row;
    }),
  );
  $("empty").hidden = logs.length > 0;
  $("changes").hidden = logs.length === 0;
  $("user-id").textContent = logs[0]?.user_id ?? "";
  $("user-id").parentElement.hidden = logs.length === 0;
  $("history").hidden = false;
}

// A compact JWT is three base64url parts; anything else (a newline from a mangled link, say)
// could not even be sent as a header, and is an invalid sign-in, not a network failure.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

async function unlock(token, password) {
  if (!TOKEN_SHAPE.test(token)) {
    $("history").hidden = true;
    show(MESSAGES[10001], "error");
    return;
  }

  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ user_password: password }),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    show("The history service could not be reached. Please check your connection.", "error");
    return;
  }

  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    // handled below as an unexpected answer
  }
  if (envelope?.code === "10000") {
    const logs = envelope.data.modification_logs;
    render(logs, response.headers.get("X-Display-UTC-Offset"));
    // One answer holds at most 1,000 changes; a cursor means older ones exist.
    const newest = envelope.data.next_cursor ? "the newest " : "";
    show(`Showing ${newest}${logs.length} change(s).`, "ok");
    return;
  }

  $("history").hidden = true;
  if (envelope?.code === "10005") {
    show(lockoutMessage(response.headers.get("Retry-After")), "error");
  } else {
    show(MESSAGES[envelope?.code] ?? MESSAGES[10006], "error");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const fragmentToken = tokenFromFragment();
  if (fragmentToken) $("token-row").hidden = true;

  $("unlock").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = fragmentToken ?? $("token").value.trim();
    const password = $("password");
    if (!token) {
      show("Please sign in first: the page needs your sign-in token.", "error");
      return;
    }

    $("submit").disabled = true;
    try {
      await unlock(token, password.value);
    } finally {
      password.value = "";
      $("submit").disabled = false;
      password.focus();
    }
  });
});
