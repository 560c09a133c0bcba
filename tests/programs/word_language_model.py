"""pytorch/examples word_language_model (data.py, model.py's RNNModel, main.py's training
loop), shortened, ported by changing the imports only.

Shortened: lr 5 (the example: 20, too large for so small a model); the corpus is a small generated text held in memory (the example reads
wikitext-2 files; Corpus.tokenize reads lines the same way), a small model, one epoch of
a few batches for each recurrent type, and the log line prints the loss in full (the
example rounds it to 2 decimals and adds the time per batch, which no two runs share).
tests/test_rnn_programs.py runs it with minitorch and, its imports switched back, with
PyTorch, and compares every printed loss.
"""
import math

import numpy as np
import minitorch as torch
import minitorch.nn as nn
import minitorch.nn.functional as F


# data.py
class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus(object):
    def __init__(self, texts):
        self.dictionary = Dictionary()
        self.train = self.tokenize(texts['train'])
        self.valid = self.tokenize(texts['valid'])

    def tokenize(self, lines):
        """Tokenizes a text file (here: its lines)."""
        # Add words to the dictionary
        for line in lines:
            words = line.split() + ['<eos>']
            for word in words:
                self.dictionary.add_word(word)
        # Tokenize file content
        idss = []
        for line in lines:
            words = line.split() + ['<eos>']
            ids = []
            for word in words:
                ids.append(self.dictionary.word2idx[word])
            idss.append(torch.tensor(ids).type(torch.int64))
        ids = torch.cat(idss)
        return ids


# model.py
class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            try:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
            except KeyError as e:
                raise ValueError("""An invalid option for `--model` was supplied,
                                 options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']""") from e
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

        # Optionally tie weights
        if tie_weights:
            if nhid != ninp:
                raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight

        self.init_weights()

        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        else:
            return weight.new_zeros(self.nlayers, bsz, self.nhid)


# main.py
class args:
    emsize, nhid, nlayers, lr, clip, bptt, batch_size, dropout, tied = 24, 24, 2, 5, 0.25, 7, 4, 0.2, True
    seed, log_interval, epochs = 1111, 1, 1


def batchify(data, bsz):
    # Work out how cleanly we can divide the dataset into bsz parts.
    nbatch = data.size(0) // bsz
    # Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz)
    # Evenly divide the data across the bsz batches.
    data = data.view(bsz, -1).t().contiguous()
    return data


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i):
    seq_len = min(args.bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(model, criterion, ntokens, data_source):
    # Turn on evaluation mode which disables dropout.
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, args.bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train(model, criterion, ntokens, train_data, lr, epoch):
    # Turn on training mode which enables dropout.
    model.train()
    total_loss = 0.
    hidden = model.init_hidden(args.batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i)
        # Starting each batch, we detach the hidden state from how it was previously produced.
        # If we didn't, the model would try backpropagating all the way to start of the dataset.
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()

        # `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)

        total_loss += loss.item()

        if batch % args.log_interval == 0 and batch > 0:
            cur_loss = total_loss / args.log_interval
            print('| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | loss {!r} | ppl {:8.2f}'.format(
                epoch, batch, len(train_data) // args.bptt, lr, cur_loss, math.exp(cur_loss)))
            total_loss = 0


def generate_text(n_lines, seed):
    """Lines of a little language with some structure to learn (stands in for wikitext-2)."""
    rng = np.random.RandomState(seed)
    nouns, verbs, adjectives = ['cat', 'dog', 'bird', 'fish', 'tree', 'car'], ['sees', 'likes', 'eats', 'finds'], \
        ['red', 'big', 'small', 'old']
    lines = []
    for _ in range(n_lines):
        words = ['the', adjectives[rng.randint(4)], nouns[rng.randint(6)], verbs[rng.randint(4)], 'a',
                 nouns[rng.randint(6)]]
        if rng.rand() < 0.5:
            words += ['and', verbs[rng.randint(4)], 'the', nouns[rng.randint(6)]]
        lines.append(' '.join(words))
    return lines


eval_batch_size = 3

if __name__ == '__main__':
    corpus = Corpus({'train': generate_text(30, 0), 'valid': generate_text(6, 1)})
    ntokens = len(corpus.dictionary)
    for rnn_type in ['LSTM', 'GRU', 'RNN_TANH']:
        # Set the random seed manually for reproducibility.
        torch.manual_seed(args.seed)
        train_data = batchify(corpus.train, args.batch_size)
        val_data = batchify(corpus.valid, eval_batch_size)
        model = RNNModel(rnn_type, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied)
        criterion = nn.NLLLoss()
        print(rnn_type)
        for epoch in range(1, args.epochs + 1):
            train(model, criterion, ntokens, train_data, args.lr, epoch)
            val_loss = evaluate(model, criterion, ntokens, val_data)
            print('| end of epoch {:3d} | valid loss {!r} | valid ppl {:8.2f}'.format(
                epoch, val_loss, math.exp(val_loss)))
