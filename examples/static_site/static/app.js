document.getElementById("greeting").textContent = "Hello from a versioned script";
