// Signing in to /admin with a passkey: the one script of the admin pages (the sign-in page's
// Content-Security-Policy allows this file and requests to this origin only).
(() => {
  const button = document.getElementById("passkey");
  const error = document.getElementById("passkey-error");
  const P = window.PublicKeyCredential;
  if (!button || !P || typeof P.parseRequestOptionsFromJSON !== "function") return;
  button.hidden = false;
  const post = (path, body) => fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  button.addEventListener("click", async () => {
    error.hidden = true;
    button.disabled = true;
    try {
      const start = await post("/admin/passkey", {});
      if (!start.ok) throw new Error(String(start.status));
      const { ceremony, options } = await start.json();
      const credential = await navigator.credentials.get({
        publicKey: P.parseRequestOptionsFromJSON(options.publicKey),
      });
      const token = document.querySelector("input[name=login_token]").value;
      const done = await post("/admin/passkey/finish", { ceremony, credential: credential.toJSON(), login_token: token });
      if (!done.ok) throw new Error(String(done.status));
      window.location.assign((await done.json()).to);
    } catch {
      error.textContent = button.dataset.failed;
      error.hidden = false;
      button.disabled = false;
    }
  });
})();
