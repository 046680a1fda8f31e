// @softweight/cli: work in progress (see its issue).
export {};
