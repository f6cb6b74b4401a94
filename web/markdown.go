package web

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// README rendering: goldmark (GitHub Flavored Markdown, raw HTML allowed),
// code blocks highlighted by chroma with CSS classes (static/highlight.css),
// then everything sanitised by bluemonday's UGC policy. Last, element ids
// and names get a "user-content-" prefix so a README cannot clobber the
// page's own ids or globals (window.x for id="x"), and images keep a src
// only when it points to this server or is a data: URI: the CSP blocks
// other origins anyway, and an air-gapped registry cannot reach them.
// Markdown images with absolute URLs become links (externalImages).

//go:generate go run ./internal/genhighlight

// HighlightStyle is the chroma style of static/highlight.css.
const HighlightStyle = "github"

const userContentPrefix = "user-content-"

var (
	markdown = goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(externalImages{}, 100)),
		),
		goldmark.WithRendererOptions(
			gmhtml.WithUnsafe(), // raw HTML is kept here and sanitised below
			renderer.WithNodeRenderers(util.Prioritized(codeBlockRenderer{}, 100)),
		),
	)
	sanitizer  = newSanitizer()
	chromaFmt  = chromahtml.New(chromahtml.WithClasses(true), chromahtml.PreventSurroundingPre(false))
	chromaStyl = styles.Get(HighlightStyle)
)

// localImageSrc matches data: images, absolute paths (not "//host" or
// "/\\host") and relative URLs whose first segment has no scheme.
var localImageSrc = regexp.MustCompile(`^(?i:data:image/)|^/(?:[^/\\]|$)|^[^:/?#\\]+(?:[/?#]|$)`)

// chromaClass matches the classes chroma writes (chroma, line, cl and the
// short token classes) and goldmark's language-xxx on <code>.
var chromaClass = regexp.MustCompile(`^(chroma|line|cl|ln|lnt|hl|language-[A-Za-z0-9_+.#-]{1,32}|[a-z]{1,3}[0-9]?)$`)

func newSanitizer() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("class").Matching(chromaClass).OnElements("code", "span", "pre")
	p.AllowDataURIImages()
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}

// RenderReadme turns a crate's README (Markdown) into safe HTML.
func RenderReadme(src string) template.HTML {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; show the text itself.
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	clean := sanitizer.SanitizeBytes(buf.Bytes())
	return template.HTML(postProcess(clean)) //nolint:gosec // sanitised above
}

// postProcess rewrites id and name attributes to user-content-… (and
// in-page links #x to match) and drops the src of images that would load
// from another origin, re-serialising the already sanitised HTML.
func postProcess(src []byte) string {
	z := html.NewTokenizer(bytes.NewReader(src))
	var b strings.Builder
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		tok := z.Token()
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			attrs := tok.Attr[:0]
			for _, a := range tok.Attr {
				switch {
				case a.Namespace != "":
				case a.Key == "id" || a.Key == "name":
					if !strings.HasPrefix(a.Val, userContentPrefix) {
						a.Val = userContentPrefix + a.Val
					}
				case a.Key == "href" && strings.HasPrefix(a.Val, "#") && len(a.Val) > 1:
					if !strings.HasPrefix(a.Val[1:], userContentPrefix) {
						a.Val = "#" + userContentPrefix + a.Val[1:]
					}
				case a.Key == "src" && tok.Data == "img" && !localImageSrc.MatchString(a.Val):
					continue
				}
				attrs = append(attrs, a)
			}
			tok.Attr = attrs
		}
		b.WriteString(tok.String())
	}
}

// externalImages turns Markdown images with absolute URLs into links to
// them, labelled with the alt text: the page never loads another origin.
type externalImages struct{}

func (externalImages) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	var images []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering && isAbsoluteURL(string(img.Destination)) {
			images = append(images, img)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		link := ast.NewLink()
		link.Destination = img.Destination
		link.Title = img.Title
		label := string(img.Text(reader.Source())) //nolint:staticcheck // plain alt text
		if strings.TrimSpace(label) == "" {
			label = "image"
		}
		link.AppendChild(link, ast.NewString([]byte(label)))
		img.Parent().ReplaceChild(img.Parent(), img, link)
	}
}

func isAbsoluteURL(u string) bool {
	u = strings.TrimSpace(u)
	if strings.HasPrefix(u, "//") {
		return true
	}
	i := strings.IndexAny(u, ":/?#")
	return i > 0 && u[i] == ':' && !strings.HasPrefix(strings.ToLower(u), "data:")
}

// codeBlockRenderer renders fenced code blocks with chroma CSS classes;
// unknown or missing languages are written plain.
type codeBlockRenderer struct{}

func (codeBlockRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderCodeBlock)
}

func renderCodeBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var code bytes.Buffer
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		code.Write(line.Value(source))
	}
	lang := ""
	if l := n.Language(source); l != nil {
		lang = strings.ToLower(string(l))
	}
	if err := highlight(w, code.String(), lang); err != nil {
		_, _ = w.WriteString(`<pre><code>`)
		_, _ = w.WriteString(template.HTMLEscapeString(code.String()))
		_, _ = w.WriteString("</code></pre>\n")
	}
	return ast.WalkSkipChildren, nil
}

func highlight(w util.BufWriter, code, lang string) error {
	var lexer chroma.Lexer
	if lang != "" {
		lexer = lexers.Get(lang)
	}
	if lexer == nil {
		lexer = lexers.Fallback
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, code)
	if err != nil {
		return err
	}
	return chromaFmt.Format(w, chromaStyl, it)
}

// readmeCache keeps rendered READMEs by the .crate checksum: a version's
// README never changes, and rendering a large one costs milliseconds.
type readmeCache struct {
	mu    sync.Mutex
	max   int
	items map[string]template.HTML
	order []string // insertion order, for eviction
}

func newReadmeCache(size int) *readmeCache {
	return &readmeCache{max: size, items: make(map[string]template.HTML, size)}
}

func (c *readmeCache) render(key, src string) template.HTML {
	c.mu.Lock()
	out, ok := c.items[key]
	c.mu.Unlock()
	if ok {
		return out
	}
	out = RenderReadme(src)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; !ok {
		if len(c.order) >= c.max {
			delete(c.items, c.order[0])
			c.order = c.order[1:]
		}
		c.items[key] = out
		c.order = append(c.order, key)
	}
	return out
}
