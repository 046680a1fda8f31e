// @softweight/onnx: work in progress (see its issue).
export {};
