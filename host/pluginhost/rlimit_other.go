//go:build !linux

package pluginhost

import (
	"errors"

	"github.com/toolgate/toolgate/config"
)

// limitProcess refuses limits where prlimit(2) does not exist: a limit
// the operator asked for is never silently dropped.
func limitProcess(_ int, spec config.Plugin) error {
	if spec.MemoryLimit > 0 || spec.CPULimit > 0 {
		return errors.New("plugins.memory_limit and plugins.cpu_limit need Linux; remove them")
	}
	return nil
}
