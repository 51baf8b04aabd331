export { PreviewInputError, previewAction, previewRequest } from './preview.ts';
export type { ActionDraft, ActionPreview, PreviewRefusal, PreviewDirectory, PreviewRequestOptions, RequestPreview } from './preview.ts';
