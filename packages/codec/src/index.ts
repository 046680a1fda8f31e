// @softweight/codec: work in progress (see its issue).
export {};
