"""drumnet in the browser: `server` (the app and its security), `api` (the JSON endpoints),
`state` (the library being browsed), `layout` (the map) and `static/` (the page, plain JS
modules, no build step). `drumnet browse` starts it; docs/browser.md describes it."""
