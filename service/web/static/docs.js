/* The API docs (/docs): Swagger UI, from this origin, inside the site's page. */
"use strict";
(function () {
  const holder = document.getElementById("swagger-ui");
  window.dakgDocs = SwaggerUIBundle({
    url: holder.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    // No deep links: Swagger UI writes them as links inside each route's button.
    deepLinking: false,
    showExtensions: true,
    showCommonExtensions: true,
    // No badge that asks validator.swagger.io about the document.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
