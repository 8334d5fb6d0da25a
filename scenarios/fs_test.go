package scenarios

import "os"

func fsRead(path string) ([]byte, error) { return os.ReadFile(path) }
