export { PreviewInputError, previewAction, previewRequest } from './preview.ts';
export type { ActionDraft, PreviewDirectory, PreviewRequestOptions, RequestPreview } from './preview.ts';
