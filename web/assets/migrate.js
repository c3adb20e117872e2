// The migration page: "Run" posts to the JSON API and, while the server moves the cases, the progress
// bar follows GET /api/v1/migrations/{batch}. Without scripts the button is a plain form.
(function () {
  const form = document.getElementById("batch-run");
  const bar = document.getElementById("batch-progress");
  const text = document.getElementById("batch-progress-text");
  if (!form || !bar) return;

  function show(progress) {
    bar.max = Math.max(1, progress.total);
    bar.value = progress.done;
    bar.textContent = text.textContent = progress.done + " / " + progress.total;
  }

  async function poll() {
    const response = await fetch(bar.dataset.url, { credentials: "same-origin" });
    if (response.ok) show(await response.json());
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelector("button").disabled = true;
    const token = form.querySelector("input[name=csrf_token]").value;
    const timer = setInterval(poll, 500);
    try {
      await fetch(form.dataset.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, "Content-Type": "application/json" },
        body: "{}",
      });
      await poll();
    } finally {
      clearInterval(timer);
      window.location.reload();
    }
  });
})();
