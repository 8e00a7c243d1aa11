// ledger_verify: an independent check of certseald's transparency log with Go's
// golang.org/x/mod/sumdb/tlog and sumdb/note (no CertSeal code).
//
//	ledger_verify <base URL> <verifier key> <old checkpoint file|-> <entry index>...
//
// Fetches <base>/ledger/checkpoint and verifies its Ed25519 signature with note.Open; reads the
// tree's hash tiles from <base>/ledger/tile/<L>/<N>[.p/<W>] through tlog.TileHashReader (which
// checks every tile against the signed root); for each index fetches its entry bundle, hashes the
// entry (tlog.RecordHash) and checks inclusion (tlog.ProveRecord / CheckRecord); with an old
// checkpoint (signed by the same key) checks consistency (tlog.ProveTree / CheckTree).
// Exit 0 when everything verifies, 1 with a message naming what failed.
package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "ledger_verify: "+format+"\n", args...)
	os.Exit(1)
}

func get(url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	if resp.StatusCode != 200 {
		fail("GET %s: status %d: %s", url, resp.StatusCode, b)
	}
	return b
}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func openCheckpoint(msg []byte, verifier note.Verifier) checkpoint {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		fail("checkpoint has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		fail("checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	if lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	return checkpoint{lines[0], tlog.Tree{N: size, Hash: h}}
}

// tileReader serves C2SP tlog-tiles paths: <L>/<N>[.p/<W>], without sumdb's height element.
type tileReader struct{ base string }

func (r tileReader) Height() int { return 8 }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := strings.TrimPrefix(t.Path(), "tile/8/")
		out[i] = get(r.base + "/ledger/tile/" + p)
	}
	return out, nil
}

func (r tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// entry returns the bytes of entry index from its bundle in a tree of size n.
func entry(base string, index, n int64) []byte {
	bundle := index / 256
	w := n - bundle*256
	if w > 256 {
		w = 256
	}
	t := tlog.Tile{H: 8, L: 0, N: bundle, W: int(w)}
	p := strings.TrimPrefix(t.Path(), "tile/8/0/")
	b := get(base + "/ledger/tile/entries/" + p)
	for i := int64(0); i < w; i++ {
		if len(b) < 2 {
			fail("bundle %s too short", p)
		}
		l := int(b[0])<<8 | int(b[1])
		if len(b) < 2+l {
			fail("bundle %s truncated", p)
		}
		if i == index%256 {
			return b[2 : 2+l]
		}
		b = b[2+l:]
	}
	fail("entry %d not in its bundle", index)
	return nil
}

func main() {
	if len(os.Args) < 4 {
		fail("usage: ledger_verify <base URL> <verifier key> <old checkpoint file|-> <entry index>...")
	}
	base := strings.TrimSuffix(os.Args[1], "/")
	verifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fail("verifier key: %v", err)
	}
	cur := openCheckpoint(get(base+"/ledger/checkpoint"), verifier)
	thr := tlog.TileHashReader(cur.tree, tileReader{base})
	fmt.Printf("checkpoint %s size %d: Ed25519 signature ok\n", cur.origin, cur.tree.N)

	if os.Args[3] != "-" {
		msg, err := os.ReadFile(os.Args[3])
		if err != nil {
			fail("old checkpoint: %v", err)
		}
		old := openCheckpoint(msg, verifier)
		if old.tree.N > cur.tree.N {
			fail("the log shrank: old size %d, current %d", old.tree.N, cur.tree.N)
		}
		proof, err := tlog.ProveTree(cur.tree.N, old.tree.N, thr)
		if err != nil {
			fail("consistency proof %d -> %d: %v", old.tree.N, cur.tree.N, err)
		}
		if err := tlog.CheckTree(proof, cur.tree.N, cur.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
			fail("consistency %d -> %d: %v", old.tree.N, cur.tree.N, err)
		}
		fmt.Printf("consistency %d -> %d ok\n", old.tree.N, cur.tree.N)
	}

	for _, a := range os.Args[4:] {
		index, err := strconv.ParseInt(a, 10, 64)
		if err != nil || index < 0 || index >= cur.tree.N {
			fail("entry index %q outside the tree of size %d", a, cur.tree.N)
		}
		data := entry(base, index, cur.tree.N)
		proof, err := tlog.ProveRecord(cur.tree.N, index, thr)
		if err != nil {
			fail("inclusion proof of entry %d: %v", index, err)
		}
		if err := tlog.CheckRecord(proof, cur.tree.N, cur.tree.Hash, index, tlog.RecordHash(data)); err != nil {
			fail("entry %d: %v", index, err)
		}
		fmt.Printf("entry %d included: %s\n", index, data)
	}
}
