"""Spec section 7: `|>` is one OP token with its own exact type."""

import io
import token
import tokenize
import unittest


def tokens(source):
    return [(token.tok_name[t.exact_type], t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline)]


class TokenizerTests(unittest.TestCase):
    def test_pipe_token_exists(self):
        self.assertIn("PIPE", token.tok_name.values())
        self.assertEqual(token.EXACT_TOKEN_TYPES["|>"], token.PIPE)

    def test_pipe_is_one_op_token(self):
        toks = list(tokenize.generate_tokens(io.StringIO("x |> f\n").readline))
        pipe = toks[1]
        self.assertEqual(pipe.type, token.OP)
        self.assertEqual(pipe.exact_type, token.PIPE)
        self.assertEqual(pipe.string, "|>")
        self.assertEqual((pipe.start, pipe.end), ((1, 2), (1, 4)))

    def test_separated_bar_and_greater_stay_two_tokens(self):
        self.assertEqual(tokens("a | > b")[1:3], [("VBAR", "|"), ("GREATER", ">")])

    def test_bar_greater_with_tab_between(self):
        self.assertEqual(tokens("a |\t> b")[1:3], [("VBAR", "|"), ("GREATER", ">")])

    def test_pipe_without_spaces(self):
        self.assertEqual(tokens("a|>b")[:3], [("NAME", "a"), ("PIPE", "|>"), ("NAME", "b")])

    def test_bar_equal_is_unchanged(self):
        self.assertEqual(tokens("a |= b")[1], ("VBAREQUAL", "|="))

    def test_greater_greater_after_bar(self):
        self.assertEqual(tokens("a |>> b")[1:3], [("PIPE", "|>"), ("GREATER", ">")])

    def test_pipe_equal_is_pipe_then_equal(self):
        self.assertEqual(tokens("a |>= b")[1:3], [("PIPE", "|>"), ("EQUAL", "=")])

    @unittest.skipUnless(hasattr(token, "FSTRING_START"), "f-strings are tokenized as one STRING before 3.12")
    def test_pipe_inside_fstring(self):
        names = [name for name, _ in tokens('f"{x |> str}"\n')]
        self.assertIn("FSTRING_START", names)
        self.assertIn("PIPE", names)

    def test_fstring_with_pipe_tokenizes_without_error(self):
        names = [name for name, _ in tokens('f"{x |> str}"\n')]
        self.assertIn("STRING" if not hasattr(token, "FSTRING_START") else "FSTRING_END", names)

    def test_pipe_in_string_is_not_a_token(self):
        self.assertEqual(tokens("'|>'")[0], ("STRING", "'|>'"))

    def test_pipe_in_comment_is_not_a_token(self):
        self.assertNotIn("PIPE", [name for name, _ in tokens("x  # |> f\n")])

    def test_untokenize_round_trip(self):
        source = "y = x |> f |> g\n"
        toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
        self.assertEqual(tokenize.untokenize(toks), source)

    def test_tokenize_bytes_api(self):
        toks = list(tokenize.tokenize(io.BytesIO(b"x |> f\n").readline))
        self.assertIn(token.PIPE, [t.exact_type for t in toks])


if __name__ == "__main__":
    unittest.main()
