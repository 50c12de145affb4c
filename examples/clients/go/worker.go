// A worker calling an API behind keyward, with Go's standard library only.
//
// The key is read from its file on every request, so a rotated key (rotate-key.sh replaces
// the file atomically) is used at once, with no restart. The key is never printed.
//
//	go run worker.go URL KEY_FILE [REQUESTS]   one request per line read on stdin after the first
package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

var client = &http.Client{Timeout: 10 * time.Second}

// apiKey reads the key per request: a rotated key is picked up at once.
func apiKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func call(url, keyFile string) (int, string, error) {
	key, err := apiKey(keyFile)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-API-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	// 200: X-Keyward-Key-Id says which key; 401/403: X-Keyward-Code says why.
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, resp.Header.Get("X-Keyward-Key-Id"), nil
	}
	return resp.StatusCode, resp.Header.Get("X-Keyward-Code"), nil
}

func main() {
	url, keyFile := os.Args[1], os.Args[2]
	count := 1
	if len(os.Args) > 3 {
		count, _ = strconv.Atoi(os.Args[3])
	}
	in := bufio.NewReader(os.Stdin)
	for i := 0; i < count; i++ {
		if i > 0 {
			in.ReadString('\n') // the test says when to go on
		}
		status, detail, err := call(url, keyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		fmt.Println(status, detail)
	}
}
