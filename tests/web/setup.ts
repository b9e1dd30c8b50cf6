// The one browser type the page's actions use outside the DOM: the GIF's frames are ImageData.
class NodeImageData {
  readonly data: Uint8ClampedArray;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8ClampedArray(4 * width * height);
  }
}
(globalThis as { ImageData?: unknown }).ImageData ??= NodeImageData;
