// Adds a note through the JSON API, then shows the page again.
document.getElementById("add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = document.getElementById("text").value;
  const response = await fetch("/api/notes", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
  });
  if (response.ok) {
    location.reload();
  } else {
    alert((await response.json()).error);
  }
});
