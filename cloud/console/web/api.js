// The console's REST calls (CONSOLE_CONTRACT: everything under /console/api,
// JSON, errors as {"message"}). The session is an HttpOnly cookie the browser
// sends by itself; state-changing requests carry X-Mos-Console: 1, a header a
// cross-site form cannot set, so the server can refuse forged POSTs.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Called when any request answers 401: the session is gone (expired, dropped,
// logged out in another tab); the app shows the login form again.
let onLoggedOut = () => {};
export function setLoggedOutHandler(fn) {
  onLoggedOut = fn;
}

export async function api(path, {method = "GET", body} = {}) {
  const headers = {Accept: "application/json"};
  if (method !== "GET") headers["X-Mos-Console"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`/console/api/${path}`, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "The console server did not answer. Is the local cloud running? (mos cloud status)");
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (!response.ok) {
    const message = data && typeof data.message === "string" ? data.message
      : `The console server answered ${response.status} ${response.statusText} to ${method} /console/api/${path}.`;
    if (response.status === 401 && path !== "login" && path !== "session") onLoggedOut(message);
    throw new ApiError(response.status, message);
  }
  return data;
}

// GET a list (`{"<key>": [...]}`) for a page: the array, or null after
// showing the server's message in the page's error line.
export async function fetchList(path, key, errorNode) {
  errorNode.textContent = "";
  try {
    const data = await api(path);
    return (data && data[key]) || [];
  } catch (e) {
    errorNode.textContent = e.message;
    return null;
  }
}
