// The client package's public API; each module adds its named exports here.
export {};
