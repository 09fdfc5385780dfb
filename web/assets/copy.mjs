// Copies the NHS.UK frontend's own script beside the built stylesheet, so the server
// serves every file itself. Run by `npm run build` (the Makefile does it).
import { copyFileSync, mkdirSync } from "node:fs";

mkdirSync("web/static/build", { recursive: true });
copyFileSync("node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js",
             "web/static/build/nhsuk-frontend.min.js");
copyFileSync("node_modules/axe-core/axe.min.js", "web/static/build/axe.min.js");
