/* Starts Swagger UI on ./openapi.json. validatorUrl null: the UI would
 * otherwise send the document to an online validator for its badge. */
window.addEventListener("load", function () {
    var root = document.getElementById("swagger-ui");
    if (typeof SwaggerUIBundle === "undefined") {
        root.innerHTML =
            "<p>Swagger UI is not installed here: run <code>tests/npm_deps.sh</code> " +
            "and restart the stack. The document itself is " +
            "<a href=\"openapi.json\">openapi.json</a>.</p>";
        return;
    }
    window.ui = SwaggerUIBundle({
        url: "openapi.json",
        dom_id: "#swagger-ui",
        deepLinking: true,
        validatorUrl: null,
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
        docExpansion: "list",
        tryItOutEnabled: false
    });
});
