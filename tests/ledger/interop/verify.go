// Command verify checks ggzy's ledger artefacts with golang.org/x/mod/sumdb,
// code written by the Go team, not by us (interoperability test).
//
// Usage:
//
//	verify check DIR      verify DIR/checkpoint (note.Open with DIR/vkey), the
//	                      tiles under DIR/tile/ (tlog.TileHashReader), and the
//	                      proofs in DIR/inclusion and DIR/consistency
//	                      (tlog.CheckRecord, tlog.CheckTree; tlog.ProveRecord and
//	                      tlog.ProveTree over our tiles must give the same proofs)
//	verify sign SKEY FILE print FILE's text signed with note.Sign
//	verify newtiles OLD NEW
//	                      print tlog.NewTiles(8, OLD, NEW) as C2SP tile paths
//	verify stored LEVELS N
//	                      print tlog.StoredHashIndex(l, n) for l < LEVELS, n < N
//
// Proof files hold one case per line, fields separated by spaces:
//
//	inclusion:   <index> <base64 leaf hash> <base64 proof hash>...
//	consistency: <old size> <base64 old root> <base64 proof hash>...
//
// Build without network: GO111MODULE=off GOPATH=/usr/share/gocode go build
// (Debian package golang-golang-x-mod-dev provides golang.org/x/mod).
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// c2spPath turns a Go tile (tile/8/L/N[.p/W]) into the C2SP path
// (tile/L/N[.p/W]), reusing Go's own encoding of N and W.
func c2spPath(t tlog.Tile) string {
	return "tile/" + strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
}

// dirTiles serves tiles from files laid out as C2SP tile paths.
type dirTiles struct {
	dir  string
	read []string
}

func (d *dirTiles) Height() int { return tileHeight }

func (d *dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := c2spPath(t)
		data, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		d.read = append(d.read, p)
		out[i] = data
	}
	return out, nil
}

func (d *dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func parseHash(s string) tlog.Hash {
	h, err := tlog.ParseHash(s)
	if err != nil {
		fail("bad hash %q: %v", s, err)
	}
	return h
}

func parseInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		fail("bad number %q", s)
	}
	return n
}

// parseCheckpoint reads the C2SP checkpoint body. (tlog.ParseTree in x/mod
// v0.7.0 insists on the "go.sum database tree" origin, so it is not used.)
func parseCheckpoint(text string) (string, tlog.Tree) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		fail("checkpoint has %d lines", len(lines))
	}
	n := parseInt(lines[1])
	if strconv.FormatInt(n, 10) != lines[1] {
		fail("non-canonical size %q", lines[1])
	}
	return lines[0], tlog.Tree{N: n, Hash: parseHash(lines[2])}
}

func readLines(path string) [][]string {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	var out [][]string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" {
			out = append(out, strings.Fields(line))
		}
	}
	return out
}

func equalProofs(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func check(dir string) {
	vkey, err := os.ReadFile(filepath.Join(dir, "vkey"))
	if err != nil {
		fail("%v", err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		fail("vkey: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("note.Open: %v", err)
	}
	origin, tree := parseCheckpoint(n.Text)
	fmt.Printf("ok note %s size %d signed by %s\n", origin, tree.N, n.Sigs[0].Name)

	tiles := &dirTiles{dir: dir}
	reader := tlog.TileHashReader(tree, tiles)
	th, err := tlog.TreeHash(tree.N, reader)
	if err != nil {
		fail("TreeHash over tiles: %v", err)
	}
	if th != tree.Hash {
		fail("tiles give root %v, checkpoint says %v", th, tree.Hash)
	}
	fmt.Printf("ok tiles root %v\n", th)

	for _, f := range readLines(filepath.Join(dir, "inclusion")) {
		index, leaf := parseInt(f[0]), parseHash(f[1])
		var proof tlog.RecordProof
		for _, h := range f[2:] {
			proof = append(proof, parseHash(h))
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, leaf); err != nil {
			fail("CheckRecord(%d): %v", index, err)
		}
		mine, err := tlog.ProveRecord(tree.N, index, reader)
		if err != nil {
			fail("ProveRecord(%d): %v", index, err)
		}
		if !equalProofs(mine, proof) {
			fail("ProveRecord(%d) over tiles differs from the Python proof", index)
		}
		fmt.Printf("ok inclusion %d\n", index)
	}

	for _, f := range readLines(filepath.Join(dir, "consistency")) {
		old, oldRoot := parseInt(f[0]), parseHash(f[1])
		var proof tlog.TreeProof
		for _, h := range f[2:] {
			proof = append(proof, parseHash(h))
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, old, oldRoot); err != nil {
			fail("CheckTree(%d): %v", old, err)
		}
		mine, err := tlog.ProveTree(tree.N, old, reader)
		if err != nil {
			fail("ProveTree(%d): %v", old, err)
		}
		if !equalProofs(mine, proof) {
			fail("ProveTree(%d) over tiles differs from the Python proof", old)
		}
		oldHash, err := tlog.TreeHash(old, reader)
		if err != nil || oldHash != oldRoot {
			fail("TreeHash(%d) over tiles: %v", old, err)
		}
		fmt.Printf("ok consistency %d\n", old)
	}
	fmt.Printf("ok read %d tiles\n", len(tiles.read))
}

func sign(skey, file string) {
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("NewSigner: %v", err)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		fail("Sign: %v", err)
	}
	os.Stdout.Write(msg)
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: verify check DIR | sign SKEY FILE | newtiles OLD NEW | stored LEVELS N")
	}
	switch os.Args[1] {
	case "check":
		check(os.Args[2])
	case "sign":
		sign(os.Args[2], os.Args[3])
	case "newtiles":
		var buf bytes.Buffer
		for _, t := range tlog.NewTiles(tileHeight, parseInt(os.Args[2]), parseInt(os.Args[3])) {
			buf.WriteString(c2spPath(t) + "\n")
		}
		os.Stdout.Write(buf.Bytes())
	case "stored":
		levels, count := parseInt(os.Args[2]), parseInt(os.Args[3])
		for l := int64(0); l < levels; l++ {
			for i := int64(0); i < count; i++ {
				fmt.Printf("%d %d %d\n", l, i, tlog.StoredHashIndex(int(l), i))
			}
		}
	default:
		fail("unknown command %q", os.Args[1])
	}
}
