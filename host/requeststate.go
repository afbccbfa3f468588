package host

import (
	"fmt"

	"github.com/toolgate/toolgate/config"
	"github.com/toolgate/toolgate/host/requeststate"
)

// newSealer builds the requestState sealer from [server]: the shared key
// file when one is set, else a key drawn for this process alone.
func newSealer(cfg *config.Config) (*requeststate.Sealer, error) {
	key, err := cfg.RequestStateKey()
	if err != nil {
		return nil, fmt.Errorf("%s: server.request_state_key_file: %w", cfg.File, err)
	}
	return requeststate.New(key, cfg.Server.RequestStateTTL)
}
