package crate_test
import ("testing";"strings";"time";"fmt";"github.com/wharfhq/wharf/crate";"github.com/wharfhq/wharf/crate/cratetest")
func TestZZPerf(t *testing.T){
  key := strings.TrimSuffix(strings.Repeat("a.", 17), ".")
  inner := "1"
  for i:=0;i<15;i++ { inner = "{" + key + " = " + inner + "}" }
  var b strings.Builder
  b.WriteString(cratetest.Manifest("foo","1.0.0",nil))
  for i:=0; b.Len() < 1000000; i++ { fmt.Fprintf(&b, "k%d = %s\n", i, inner) }
  m := cratetest.Metadata("foo","1.0.0")
  for _, manifest := range []string{b.String(), cratetest.Manifest("foo","1.0.0",nil) + "[" + key + "]\n" + strings.Repeat("x.", 16)+"y = 1\n"} {
  data := cratetest.Build("foo","1.0.0",&cratetest.Opts{Manifest: manifest})
  st := time.Now()
  _, err := crate.CheckCrate(data, &m, crate.DefaultLimits())
  t.Log(len(manifest), err, time.Since(st))
  }
}
