// Builds dsfr.purged.css (public pages) and dsfr.console.purged.css (the organiser console):
// the DSFR's stylesheet cut down to the rules their templates use, with
// its icons inlined and Marianne replaced by a font variable (the system fonts unless
// `site.marianne_font` is on). Run `npm ci && npm run build` here after changing a template's
// classes; README.md says more. The output is committed, so `cargo build` needs no Node.

import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import postcss from "postcss";
import { PurgeCSS } from "purgecss";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const require = createRequire(import.meta.url);
const dsfr = dirname(require.resolve("@gouvfr/dsfr/package.json"));
const dist = join(dsfr, "dist");
const version = JSON.parse(readFileSync(join(dsfr, "package.json"), "utf8")).version;

// Elements that sessions' bodies (Markdown and the team's sanitised HTML) may hold, which no
// template names, and the DSFR classes the team's posts use in their HTML.
const BODY_ELEMENTS = [
  "h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "a", "strong", "em", "b", "i",
  "blockquote", "code", "pre", "img", "table", "thead", "tbody", "tr", "th", "td", "hr",
  "figure", "figcaption", "abbr", "sup", "sub", "dl", "dt", "dd", "br",
];
const BODY_CLASSES = ["fr-callout", "fr-callout__title", "fr-callout__text"];

// Icons the kept rules draw, put in the stylesheet: no request for them.
function inlineIcon(path) {
  const svg = readFileSync(join(dist, path), "utf8")
    .replace(/<\?xml[^>]*>\s*/, "")
    .replace(/\s+/g, " ")
    .trim();
  return `url("data:image/svg+xml,${encodeURIComponent(svg).replace(/'/g, "%27")}")`;
}

const SYSTEM = "var(--eventail-font)";
// Drops the fonts, the comments and the rules for input types the templates lack (`inputTypes`);
// inlines the icons; puts the font variable for Marianne.
const localise = (inputTypes) => ({
  postcssPlugin: "eventail-dsfr",
  AtRule: {
    "font-face": (rule) => rule.remove(),
  },
  Rule(rule) {
    const unusedInputType = (selector) =>
      [...selector.matchAll(/\[type=["']?([a-z-]+)["']?\]/g)].some((m) => !inputTypes.has(m[1]));
    const kept = rule.selectors.filter((s) => !unusedInputType(s));
    if (kept.length === 0) {
      rule.remove();
    } else if (kept.length < rule.selectors.length) {
      rule.selectors = kept;
    }
  },
  RuleExit(rule) {
    if (rule.nodes.length === 0) rule.remove();
  },
  AtRuleExit(rule) {
    if (rule.nodes && rule.nodes.length === 0) rule.remove();
  },
  Declaration(decl) {
    if (decl.prop === "font-family" && /Marianne/.test(decl.value)) {
      decl.value = SYSTEM;
    } else if (decl.prop === "font-family" && /Spectral/.test(decl.value)) {
      decl.value = decl.value.replace(/Spectral,?/, "");
    }
    if (decl.value.includes("url(")) {
      decl.value = decl.value.replace(/url\((?!["']?data:)["']?([^)"']+)["']?\)/g, (_, path) =>
        inlineIcon(path),
      );
    }
  },
  Comment(comment) {
    comment.remove();
  },
});

// The public pages and the organiser console each get their own stylesheet: the console's
// tables, badges, checkboxes and fieldsets would weigh on every public page. Each is
// `dsfr.main.min.css` (`dsfr.min.css` without the rules for Internet Explorer 11) cut down to
// what its templates use.
const templatesDir = join(root, "templates");
const allTemplates = readdirSync(templatesDir, { recursive: true }).filter((f) => f.endsWith(".html"));
const isConsole = (f) => f.startsWith("admin/") || f.startsWith("admin\\");

async function build(files, extraSafelist, out) {
  const [purged] = await new PurgeCSS().purge({
    content: files.map((f) => join(templatesDir, f)),
    css: [join(dist, "dsfr.main.min.css")],
    safelist: { standard: extraSafelist },
    fontFace: true,
    keyframes: true,
    variables: true,
  });
  // PurgeCSS keeps `.fr-input[type=date]` where the templates have `type` and `.fr-input`:
  // rules for input types none of these templates has go here.
  const inputTypes = new Set(
    files
      .map((f) => readFileSync(join(templatesDir, f), "utf8"))
      .flatMap((t) => [...t.matchAll(/type="([a-z-]+)"/g)].map((m) => m[1])),
  );
  const { css } = await postcss([localise(inputTypes)]).process(purged.css, { from: undefined });
  const path = join(here, out);
  writeFileSync(path, banner + css.replace(/^@charset "UTF-8";/, "").trim() + "\n");
  console.log(`${out}: ${Buffer.byteLength(readFileSync(path))} bytes (DSFR ${version})`);
}

const banner =
  `/*! DSFR v${version} | SPDX-License-Identifier: Etalab-2.0 | License-Filename: LICENSE.md | ` +
  "restricted use (see terms and conditions: CGU.md) | purged for eventail by assets/dsfr/build.mjs */\n";
await build(allTemplates.filter((f) => !isConsole(f)), [...BODY_ELEMENTS, ...BODY_CLASSES], "dsfr.purged.css");
await build(allTemplates.filter(isConsole), [], "dsfr.console.purged.css");

// The licence and the terms of use travel with the files taken from the package.
copyFileSync(join(dsfr, "LICENSE.md"), join(here, "LICENSE.md"));
copyFileSync(join(dsfr, "doc", "legal", "cgu.md"), join(here, "CGU.md"));
mkdirSync(join(here, "fonts"), { recursive: true });
for (const font of ["Marianne-Regular.woff2", "Marianne-Bold.woff2"]) {
  copyFileSync(join(dist, "fonts", font), join(here, "fonts", font));
}
