#!/usr/bin/env python3
"""Measure the HTML fixtures in shells/, pages/ and borderline/ (standard library only).

Usage: python3 measure.py            # prints a Markdown table
       python3 measure.py --tsv      # tab-separated, for scripts

Columns:
  bytes         file size
  text_chars    visible text characters: text outside head/title/script/style/
                template/noscript, whitespace runs collapsed to one space,
                trimmed; a tag boundary other than an inline tag (INLINE)
                counts as whitespace, so "<h1>A</h1><p>B" is "A B"
  words         whitespace-separated tokens of that text
  script_src    <script> elements with a src attribute
  inline_js     bytes (UTF-8) inside <script> elements without src whose type
                is empty, a JavaScript MIME type or "module"
  json_data     bytes inside <script type="application/json"> / "application/ld+json"
                / id="__NEXT_DATA__", plus inline scripts that assign
                window.__NUXT__ (counted here, not in inline_js)
  mount         mount point: an element with id root/app/__next/__nuxt/
                strapi/ember-app (see MOUNT_IDS), or a custom element (a tag name
                containing "-", e.g. <app-root>); the first one found is shown
"""
import sys
from html.parser import HTMLParser
from pathlib import Path

HIDDEN = {"script", "style", "template", "noscript", "head", "title"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "param", "source", "track", "wbr"}
MOUNT_IDS = {"root", "app", "__next", "__nuxt", "strapi", "ember-app", "svelte", "___gatsby"}
# tags that do not break a word; any other tag boundary counts as whitespace
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em",
          "i", "kbd", "mark", "q", "s", "samp", "small", "span", "strong",
          "sub", "sup", "time", "u", "var", "wbr"}
JS_TYPES = {"", "text/javascript", "application/javascript", "module",
            "text/ecmascript", "application/ecmascript"}
JSON_TYPES = {"application/json", "application/ld+json"}


class Measure(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0      # nesting depth inside hidden elements
        self.stack = []            # open hidden elements
        self.text = []
        self.script_src = 0
        self.inline_js = 0
        self.json_data = 0
        self.mount = None
        self._script_kind = None   # None / "js" / "json" / "other"
        self._script_buf = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag not in INLINE:
            self.text.append(" ")
        if self.mount is None:
            if a.get("id") in MOUNT_IDS:
                self.mount = f'{tag}#{a["id"]}'
            elif "-" in tag and tag not in ("font-face",):
                self.mount = f"<{tag}>"
        if tag == "body" and "head" in self.stack:
            # an unclosed <head> ends where <body> starts
            while self.stack:
                self.hidden_depth -= 1
                if self.stack.pop() == "head":
                    break
        if tag == "script":
            t = a.get("type", "").strip().lower()
            if "src" in a:
                self.script_src += 1
                self._script_kind = "other"
            elif t in JSON_TYPES or a.get("id") == "__NEXT_DATA__":
                self._script_kind = "json"
            elif t in JS_TYPES:
                self._script_kind = "js"
            else:
                self._script_kind = "other"
            self._script_buf = []
        if tag in HIDDEN and tag not in VOID:
            self.stack.append(tag)
            self.hidden_depth += 1

    def handle_startendtag(self, tag, attrs):
        # <div id="root"/> style: count mount, never push
        a = {k: (v or "") for k, v in attrs}
        if tag not in INLINE:
            self.text.append(" ")
        if self.mount is None and a.get("id") in MOUNT_IDS:
            self.mount = f'{tag}#{a["id"]}'
        if tag == "script" and "src" in a:
            self.script_src += 1

    def handle_endtag(self, tag):
        if tag not in INLINE:
            self.text.append(" ")
        if tag == "script" and self._script_kind is not None:
            body = "".join(self._script_buf)
            n = len(body.encode("utf-8"))
            if self._script_kind == "json":
                self.json_data += n
            elif self._script_kind == "js":
                if "__NUXT__" in body:
                    self.json_data += n
                else:
                    self.inline_js += n
            self._script_kind = None
            self._script_buf = []
        if tag in HIDDEN and tag in self.stack:
            # pop up to and including the matching element
            while self.stack:
                t = self.stack.pop()
                self.hidden_depth -= 1
                if t == tag:
                    break

    def handle_data(self, data):
        if self._script_kind is not None:
            self._script_buf.append(data)
        if self.hidden_depth == 0:
            self.text.append(data)


def measure(path: Path):
    raw = path.read_bytes()
    p = Measure()
    p.feed(raw.decode("utf-8", errors="replace"))
    p.close()
    text = " ".join("".join(p.text).split())
    return {
        "bytes": len(raw),
        "text_chars": len(text),
        "words": len(text.split()),
        "script_src": p.script_src,
        "inline_js": p.inline_js,
        "json_data": p.json_data,
        "mount": p.mount or "-",
        "text": text,
    }


COLS = ["bytes", "text_chars", "words", "script_src", "inline_js", "json_data", "mount"]


def main():
    here = Path(__file__).resolve().parent
    files = [f for d in ("shells", "pages", "borderline") for f in sorted(here.glob(d + "/*.html"))]
    tsv = "--tsv" in sys.argv
    show_text = "--text" in sys.argv
    if tsv:
        print("\t".join(["file"] + COLS))
    else:
        print("| file | " + " | ".join(COLS) + " |")
        print("|" + " --- |" * (len(COLS) + 1))
    for f in files:
        m = measure(f)
        name = str(f.relative_to(here))
        vals = [str(m[c]) for c in COLS]
        if tsv:
            print("\t".join([name] + vals))
        else:
            print(f"| {name} | " + " | ".join(vals) + " |")
        if show_text:
            print("    text:", m["text"][:200])


if __name__ == "__main__":
    main()
