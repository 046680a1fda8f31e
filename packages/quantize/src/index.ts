// @softweight/quantize: work in progress (see its issue).
export {};
