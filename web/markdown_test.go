package web

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenderReadme(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name    string
		src     string
		want    []string // substrings of the output
		notWant []string
	}{
		{
			name:    "ScriptRemoved",
			src:     "hi <script>alert(1)</script>\n\n<script src=\"/x.js\"></script>",
			want:    []string{"hi "},
			notWant: []string{"<script", "alert(1)"},
		},
		{
			name:    "EventHandlersRemoved",
			src:     `<img src=x onerror="window.__xss=1"> <svg onload="alert(1)"></svg> <p onclick="x()">p</p>`,
			want:    []string{`<img src="x">`, "<p>p</p>"},
			notWant: []string{"onerror", "onload", "onclick", "<svg"},
		},
		{
			name:    "ScriptURLsRemoved",
			src:     "[x](javascript:window.__xss=2) <a href=\"javascript:window.__xss=3\">y</a> <a href=\"JaVaScRiPt:alert(1)\">z</a> [d](data:text/html;base64,PHNjcmlwdD4=) <a href=\"vbscript:x\">v</a>",
			notWant: []string{"javascript", "JaVaScRiPt", "data:text", "vbscript", "href"},
		},
		{
			name:    "DangerousElementsRemoved",
			src:     `<iframe src="/x"></iframe><object data="/x"></object><embed src="/x"><form action="/logout"><button>b</button></form><style>body{}</style><base href="//evil/"><meta http-equiv="refresh" content="0;url=//evil">`,
			notWant: []string{"<iframe", "<object", "<embed", "<form", "<style", "<base", "<meta", "<button"},
		},
		{
			name:    "StyleAndForeignClassesRemoved",
			src:     `<p style="position:fixed">s</p> <span class="alert banner">c</span> <pre class="chroma">ok</pre>`,
			want:    []string{"<p>s</p>", "<span>c</span>", `<pre class="chroma">ok</pre>`},
			notWant: []string{"style=", "alert", "banner"},
		},
		{
			name:    "IDsCannotClobber",
			src:     "<a id=\"__xss\" name=\"csrf_token\" href=\"#top\">t</a>\n\n## Install\n\n[go](#install)",
			want:    []string{`id="user-content-__xss"`, `href="#user-content-top"`, `<h2 id="user-content-install">Install</h2>`, `<a href="#user-content-install" rel="nofollow">go</a>`},
			notWant: []string{`id="__xss"`, `name="csrf_token"`},
		},
		{
			name: "RemoteImagesBecomeLinks",
			src:  "![build status](https://ci.example.com/badge.svg) ![logo](logo.png) <img src=\"https://cdn.example.com/a.png\"> <img src=\"//cdn.example.com/b.png\"> <img src=\"/static/x.png\"> <img src=\"data:image/png;base64,iVBORw0KGgo=\">",
			want: []string{
				`<a href="https://ci.example.com/badge.svg" rel="nofollow noopener" target="_blank">build status</a>`,
				`<img src="logo.png" alt="logo">`, `<img src="/static/x.png">`, `<img src="data:image/png;base64,iVBORw0KGgo=">`,
			},
			notWant: []string{"cdn.example.com"},
		},
		{
			name: "CodeHighlighted",
			src:  "```rust\nfn main() { let x = \"<b>\"; }\n```\n\n```\nplain <i>text</i>\n```\n\n```nonsense-lang\nx < y\n```",
			want: []string{
				`<pre class="chroma"><code><span class="line"><span class="cl"><span class="k">fn</span>`,
				`<span class="s">&#34;&lt;b&gt;&#34;</span>`,
				"plain &lt;i&gt;text&lt;/i&gt;",
				"x &lt; y",
			},
			notWant: []string{"<b>", "<i>"},
		},
		{
			name: "GFM",
			src:  "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ www.example.com\n\n- [x] done",
			want: []string{"<table>", "<td>1</td>", "<del>gone</del>", `<a href="http://www.example.com" rel="nofollow noopener" target="_blank">www.example.com</a>`, "done"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := string(RenderReadme(tc.src))
			for _, w := range tc.want {
				require.Contains(t, out, w)
			}
			for _, w := range tc.notWant {
				require.NotContains(t, out, w)
			}
		})
	}
}

func TestHighlightCSSIsCurrent(t *testing.T) {
	t.Parallel()
	b, err := staticFS.ReadFile("static/highlight.css")
	require.NoError(t, err)
	require.True(t, strings.Contains(string(b), `chroma style "`+HighlightStyle+`"`), "run go generate ./web")
	require.Contains(t, string(b), ".chroma .k {")
}

func TestReadmeCache(t *testing.T) {
	t.Parallel()
	c := newReadmeCache(2)
	require.Equal(t, RenderReadme("# a"), c.render("k1", "# a"))
	require.Equal(t, RenderReadme("# a"), c.render("k1", "# ignored: same key, same README"))
	c.render("k2", "# b")
	c.render("k3", "# c") // evicts k1
	require.Len(t, c.items, 2)
	require.Equal(t, RenderReadme("# d"), c.render("k1", "# d"))
}
