// Short confirmations ("Approval queued") read out politely and shown for a few seconds.
export interface FlashMessage {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

class Flash {
  #messages = $state.raw<FlashMessage[]>([]);
  #next = 1;
  get messages(): FlashMessage[] {
    return this.#messages;
  }
  show(text: string, tone: FlashMessage['tone'] = 'info'): void {
    const id = this.#next++;
    this.#messages = [...this.#messages.slice(-2), { id, text, tone }];
    setTimeout(() => (this.#messages = this.#messages.filter((m) => m.id !== id)), tone === 'error' ? 8000 : 4000);
  }
}

export const flash = new Flash();
