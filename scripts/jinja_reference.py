#!/usr/bin/env python3
"""Renders template snippets and chat conversations with Jinja2 configured as Hugging Face
transformers does for chat templates. Writes Tests/Fixtures/jinja-reference.json (snippets, for
JinjaTests) and Tests/Fixtures/chat-reference.json (conversations in OpenAI form through the real
templates in ../shared/testdata/templates and the ChatML fallback, for ChatTemplateTests).

Environment: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[loopcontrols]), HF's tojson filter (ensure_ascii=False, no HTML escaping) and
raise_exception global. Usage: python3 scripts/jinja_reference.py (needs jinja2 >= 3.1).
"""
import json
import os
import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception

MSGS = [{"role": "system", "content": " sys "}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "yo", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}]

# (name, template, context)
CASES = [
    # --- whitespace control, trim_blocks, lstrip_blocks
    ("trim_blocks", "{% if true %}\nA\n{% endif %}\nB", {}),
    ("lstrip_blocks", "  {% if true %}\n  x\n  {% endif %}\nend", {}),
    ("lstrip_not_for_output", "  {{ 'v' }}\n  {% if true %}y{% endif %}", {}),
    ("lstrip_after_text_same_line", "a  {% if true %}b{% endif %}", {}),
    ("plus_disables_lstrip", "  {%+ if true %}x{% endif %}", {}),
    ("plus_disables_trim", "{% if true +%}\nx{% endif %}", {}),
    ("minus_both", "a  \n  {%- if true -%}  \n  b  {%- endif -%}  \n c", {}),
    ("minus_output", "a \n {{- 'b' -}} \n c", {}),
    ("comment_trim", "x\n  {# comment #}\ny", {}),
    ("comment_minus", "x  {#- c -#}  y", {}),
    ("trailing_newline_dropped", "abc\n", {}),
    ("only_one_trailing_newline_dropped", "abc\n\n", {}),
    ("crlf_normalized", "a\r\nb\rc", {}),
    ("line_starting_after_trim", "{% if true %}\n    {% if true %}\nz\n    {% endif %}\n{% endif %}", {}),
    ("dict_literal_in_output", "{{ {'a': {'b': 1}} }}", {}),
    # --- literals and printing
    ("print_values", "{{ none }}|{{ true }}|{{ False }}|{{ 1 }}|{{ 1.5 }}|{{ 1e3 }}|{{ [1, 'a', none, true] }}|{{ {'k': 'v'} }}", {}),
    ("string_escapes", r"""{{ 'a\nb\t\'c\' \"d\" \\ \x41 \u00e9 \q' }}""", {}),
    ("adjacent_strings", "{{ 'a' \"b\" 'c' }}", {}),
    ("repr_quotes", "{{ [\"it's\", 'say \"x\"', 'both \\' \"'] }}", {}),
    ("float_repr", "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1e-5 }} {{ 0.0001 }} {{ 123456789.125 }} {{ 2.0 }} {{ -0.5 }}", {}),
    ("numbers_from_context", "{{ a }} {{ b }} {{ c }}", {"a": 3, "b": 2.5, "c": 10000000000000000.0}),
    # --- operators
    ("arith", "{{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 4 / 2 }} {{ 1 + 2 * 3 - 4 }}", {}),
    ("float_arith", "{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 + 1.5 }} {{ true + 1 }} {{ 2 ** -1 }}", {}),
    ("concat", "{{ 1 ~ 'a' ~ none ~ x ~ [1] }}", {}),
    ("string_repeat", "{{ 'ab' * 3 }}{{ [1] * 2 }}", {}),
    ("percent_format", "{{ '%s-%d-%%' % ('a', 3) }} {{ 'x%sy' % 5 }}", {}),
    ("compare", "{{ 1 < 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' != 'a' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}", {}),
    ("in_operator", "{{ 'a' in 'cat' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'cat' }} {{ 'x' in u }}", {}),
    ("logic", "{{ 1 and 'x' }} {{ 0 or 'y' }} {{ not 0 }} {{ none or none }} {{ '' and 1 }}", {}),
    ("precedence_filter_binds_tight", "{{ 'a' + ' b ' | trim + 'c' }} {{ -2.5 | round }} {{ not none is none }}", {}),
    ("inline_if", "{{ 'y' if 1 else 'n' }} {{ 'y' if 0 else 'n' }} [{{ 'y' if 0 }}]", {}),
    ("unary", "{{ -(3) }} {{ +3 }} {{ - -3 }}", {}),
    # --- access
    ("attribute_and_item", "{{ m.role }} {{ m['content'] }} {{ l[0] }} {{ l[-1] }} {{ l.1 }} {{ s[1] }}", {"m": {"role": "r", "content": "c"}, "l": [1, 2, 3], "s": "xyz"}),
    ("slices", "{{ l[1:] }} {{ l[:-1] }} {{ l[::-1] }} {{ l[::2] }} {{ s[1:3] }} {{ s[::-1] }} {{ l[5:] }} {{ l[-2:] }}", {"l": [1, 2, 3, 4], "s": "h\u00e9llo"}),
    ("missing_is_undefined", "[{{ m.nope }}][{{ l[10] }}][{{ n.x }}][{{ m.nope is defined }}]", {"m": {}, "l": [], "n": None}),
    ("undefined_iterates_empty", "{% for x in u %}{{ x }}{% else %}empty{% endfor %}", {}),
    # --- statements
    ("if_elif_else", "{% for i in [1, 2, 3] %}{% if i == 1 %}one{% elif i == 2 %}two{% else %}other{% endif %},{% endfor %}", {}),
    ("loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}", {}),
    ("loop_filter", "{% for x in [1, 2, 3, 4] if x is even %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}", {}),
    ("loop_dict_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}{% for k, v in d | items %}{{ v }}{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("loop_else", "{% for x in [] %}x{% else %}none{% endfor %}", {}),
    ("loop_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("loop_cycle", "{% for x in range(4) %}{{ loop.cycle('a', 'b') }}{% endfor %}", {}),
    ("nested_loops", "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("set_scoping", "{% set x = 0 %}{% for i in range(3) %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}{% if true %}{% set y = 5 %}{% endif %}{{ y }}", {}),
    ("namespace", "{% set ns = namespace(found=false, n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% if i == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}", {}),
    ("set_tuple_and_block", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set blk %}in{{ a }}side{% endset %}[{{ blk }}]", {}),
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(name='C', punct='.') }}", {}),
    ("call_block", "{% macro wrap(t) %}<{{ t }}:{{ caller() }}>{% endmacro %}{% call wrap('x') %}body{% endcall %}", {}),
    ("filter_block", "{% filter upper %}hello {{ 'w' }}{% endfilter %}", {}),
    ("raise", "{{ raise_exception('custom ' ~ 1) }}", {}),
    # --- filters
    ("filters_string", "{{ '  a b  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'aB' | upper }}|{{ 'aB' | lower }}|{{ 'hELLO wORLD' | capitalize }}|{{ 'a b-c(d' | title }}|{{ 'aaa' | replace('a', 'b', 2) }}", {}),
    ("filters_default", "{{ u | default('d') }}|{{ none | default('d') }}|{{ '' | default('d', true) }}|{{ 0 | d('z') }}|{{ u | default }}", {}),
    ("filters_length", "{{ 'h\u00e9' | length }} {{ [1, 2] | count }} {{ {'a': 1} | length }} {{ u | length }}", {}),
    ("filters_join", "{{ [1, 'a'] | join(', ') }}|{{ [1, 2] | join }}|{{ users | join(',', attribute='name') }}", {"users": [{"name": "x"}, {"name": "y"}]}),
    ("filters_first_last_list", "{{ [1, 2] | first }} {{ [1, 2] | last }} {{ 'abc' | list }} {{ {'a': 1} | list }} {{ 'abc' | first }} [{{ [] | first }}]", {}),
    ("filters_numbers", "{{ '12' | int + 1 }} {{ 'x' | int }} {{ '3.9' | int }} {{ 2.7 | int }} {{ '1.5' | float }} {{ 5 | float }} {{ -3 | abs }} {{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ 3.1 | round(0, 'ceil') }} {{ 7 | round }}", {}),
    ("filters_string_conv", "{{ 1 | string ~ 2 }} {{ [1] | string }} {{ none | string }}", {}),
    ("filters_map_select", "{{ users | map(attribute='name') | join(',') }} {{ ['a', 'b'] | map('upper') | list }} {{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3] | reject('equalto', 2) | list }} {{ users | selectattr('admin') | map(attribute='name') | list }} {{ users | rejectattr('admin') | map(attribute='name') | list }} {{ [0, 1, '', 'a'] | select | list }}", {"users": [{"name": "x", "admin": True}, {"name": "y", "admin": False}]}),
    ("filters_selectattr_test", "{{ ms | selectattr('role', 'equalto', 'user') | list | length }} {{ ms | selectattr('role', '==', 'system') | map(attribute='content') | first }}", {"ms": MSGS}),
    ("filters_sort_unique", "{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'a', 'C'] | sort }} {{ ['b', 'A', 'C'] | sort(case_sensitive=true) }} {{ [1, 3, 2] | sort(reverse=true) }} {{ users | sort(attribute='age') | map(attribute='n') | join }} {{ ['a', 'A', 'b', 'a'] | unique | list }}", {"users": [{"n": "a", "age": 3}, {"n": "b", "age": 1}, {"n": "c", "age": 2}]}),
    ("filters_misc", "{{ [1, 2, 3] | sum }} {{ [3, 1] | min }} {{ [3, 1] | max }} {{ [1, 2] | reverse | list }} {{ 'abc' | reverse }} {% for k, v in {'b': 1, 'a': 2} | dictsort %}{{ k }}{{ v }}{% endfor %} {{ '<a&\"b\">' | escape }} {{ '<x>' | safe }}", {}),
    ("filters_indent", "{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}", {}),
    ("tojson_basic", "{{ v | tojson }}", {"v": {"s": "\u00e9\u00ab\U0001F44B\"\\\n\t\u0001<>&'", "i": 1, "f": 1.5, "b": True, "n": None, "l": [1, [2, {}], []], "e": {}}}),
    ("tojson_indent", "{{ v | tojson(indent=2) }}|{{ [] | tojson(indent=2) }}|{{ 'x' | tojson(indent=2) }}", {"v": {"a": [1, {"b": None}], "c": {}}}),
    ("tojson_options", "{{ v | tojson(sort_keys=true) }}|{{ v | tojson(separators=(',', ':')) }}|{{ v | tojson(true) }}|{{ v | tojson(ensure_ascii=true, indent=1) }}", {"v": {"b": "\u00e9\U0001F44B\x7f", "a": [1, 2]}}),
    ("format_filter", "{{ '%s=%d' | format('x', 3) }}|{{ 'n: %s' | format([1, 2]) }}", {}),
    ("tojson_float", "{{ [1.0, 0.1, 1e20, 1e-7, -2.5] | tojson }}", {}),
    # --- tests
    ("tests_types", "{{ 1 is number }} {{ 1.5 is float }} {{ 1 is integer }} {{ true is integer }} {{ true is boolean }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ [] is sequence }} {{ none is none }} {{ u is undefined }} {{ u is defined }} {{ raise_exception is callable }}", {}),
    ("tests_values", "{{ 3 is odd }} {{ 3 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }} {{ 1 is eq 1 }} {{ 1 is ne 2 }} {{ 2 is gt 1 }} {{ 'a' is in 'cat' }} {{ true is true }} {{ 0 is false }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ x is sameas none }} {{ x is not none }}", {"x": None}),
    # --- methods
    ("string_methods", "{{ ' a '.strip() }}|{{ 'xxa'.lstrip('x') }}|{{ 'axx'.rstrip('x') }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'bc')) }}|{{ 'a b  c'.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ 'hello world'.title() }}|{{ 'aXa'.replace('a', 'b') }}|{{ 'abc'.find('c') }}|{{ 'aaa'.count('a') }}|{{ '-'.join(['a', 'b']) }}|{{ '{} and {}'.format(1, 'x') }}|{{ '{0}{name}'.format('p', name='q') }}|{{ ' x'.isspace() }}{{ '12'.isdigit() }}", {}),
    ("dict_methods", "{{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list | length }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 5) }}", {"d": {"a": 1, "b": 2}}),
    ("list_methods", "{{ [1, 2, 1].count(1) }} {{ ['a', 'b'].index('b') }}", {}),
    ("range_dict", "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(3, 0, -1) | list }} {{ dict(a=1, b='x') }}", {}),
    ("raw_block", "a\n  {% raw %}\n{{ x }} {% if %}\n  {% endraw %}\nb", {}),
    ("raw_block_minus", "a {%- raw -%}  {{ x }}  {%- endraw -%} b", {}),
    ("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]{% set x = 1 %}{% with %}{% set x = 2 %}{{ x }}{% endwith %}{{ x }}", {}),
    ("not_enough_to_unpack", "{% for a, b in [[1]] %}{% endfor %}", {}),
    ("tool_calls_template", "{% for m in ms %}{% if m.tool_calls %}{% for tc in m.tool_calls %}{% set tc = tc.function %}{{ tc.name }}({{ tc.arguments | tojson }}){% endfor %}{% else %}{{ m.content | trim }}{% endif %};{% endfor %}", {"ms": MSGS}),
    ("content_parts", "{% for p in c %}{% if p.type == 'text' %}{{ p.text }}{% endif %}{% endfor %}|{{ c is string }}", {"c": [{"type": "text", "text": "a"}, {"type": "image"}, {"type": "text", "text": "b"}]}),
    # --- errors (message compared where Jinja2's wording is reproduced)
    ("err_undefined_attr", "{{ u.x }}", {}),
    ("err_undefined_add", "{{ u + 1 }}", {}),
    ("err_undefined_call", "{{ u() }}", {}),
    ("err_missing_key_add", "{{ d['q'] + 1 }}", {"d": {}}),
    ("err_str_plus_int", "{{ 'a' + 1 }}", {}),
    ("err_int_plus_str", "{{ 1 + 'a' }}", {}),
    ("err_str_plus_none", "{{ 'a' + none }}", {}),
    ("err_compare", "{{ 'a' < 1 }}", {}),
    ("err_not_callable", "{{ f() }}", {"f": 5}),
    ("err_in_none", "{{ 1 in none }}", {}),
    ("err_iterate_none", "{% for x in none %}{% endfor %}", {}),
    ("err_unpack", "{% for a, b in [[1, 2, 3]] %}{% endfor %}", {}),
    ("err_list_append", "{{ l.append(1) }}", {"l": []}),
    ("err_unknown_method", "{{ 'x'.foo() }}", {}),
    ("err_div_zero", "{{ 1 / 0 }}", {}),
    ("err_items_non_mapping", "{{ [1] | items | list }}", {}),
    ("err_tojson_undefined", "{{ u | tojson }}", {}),
    # found by differential fuzzing against Jinja2
    ("case_tests", "{{ '' is lower }} {{ '1' is lower }} {{ 'a1' is lower }} {{ 'Ab' is upper }} {{ 'AB1' is upper }} {{ true is upper }} {{ 'a'.islower() }} {{ ''.isupper() }}", {}),
    ("max_min_ties", "{{ ['b', 'a', 'B'] | max }} {{ ['B', 'b', 'a'] | max }} {{ ['b', 'A', 'a'] | min }}", {}),
    ("float_parity", "{{ 1e3 is even }} {{ 3.0 is odd }} {{ 2.5 is odd }} {{ 9.0 is divisibleby 3 }}", {}),
    ("tuples", "{{ (1, 'a') }} {{ (1,) }} {{ () }} {{ d.items() | list }} {{ d | dictsort }} {{ (1, 2) == [1, 2] }} {{ (1, 2) + (3,) }} {{ (1, 2)[::-1] }} {{ (1, 2) | tojson }} {{ '%s' % [1, 2] }} {{ '%s-%s' % (1, 2) }} {% for k, v in d.items() %}{{ loop.previtem }}{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("err_tuple_plus_list", "{{ (1, 2) + [3] }}", {}),
    ("for_else_after_break_or_continue", "{% for x in [1, 2] %}{% continue %}{% else %}E1{% endfor %}|{% for x in [1, 2] %}{% break %}{% else %}E2{% endfor %}|{% for x in [1, 2] %}{% if x == 2 %}{% break %}{% endif %}{% else %}E3{% endfor %}|{% for x in [1, 2] %}{% if x == 1 %}{% continue %}{% endif %}{% else %}E4{% endfor %}", {}),
    ("err_loop_in_for_else", "{% for x in [1] %}{% break %}{% else %}{{ loop.index }}{% endfor %}", {}),
    ("err_divisibleby_string", "{{ 'a' is divisibleby 2 }}", {}),
    ("err_divisibleby_zero", "{{ 4 is divisibleby 0 }}", {}),
    ("err_indent_undefined", "{{ u | indent(2) }}", {}),
    ("err_indent_int", "{{ 3 | indent(2) }}", {}),
    ("err_dictsort_undefined", "{{ u | dictsort }}", {}),
    ("err_sequence_times_float", "{{ 'ab' * 2.5 }}", {}),
    ("err_modulo_zero", "{{ 5 % 0 }}", {}),
    ("err_pow_str", "{{ 'a' ** 2 }}", {}),
    ("err_slice_runtime_float", "{{ l[-1][1:] }}", {"l": [1.5]}),
    # errkind_*: Python's wording names its internal functions; only the error kind is compared.
    ("errkind_filter_unknown_keyword", "{{ 'x' | trim(foo=1) }}", {}),
    ("errkind_filter_too_many_args", "{{ 'x' | upper(1) }}", {}),
    ("err_syntax_break_outside_loop", "a{% break %}b", {}),
    ("err_syntax_break_in_macro", "{% for x in [1] %}{% macro m() %}{% break %}{% endmacro %}{% endfor %}", {}),
    ("continue_in_with", "{% for x in [1, 2] %}{% if x == 1 %}{% with %}{% continue %}{% endwith %}{% endif %}{{ x }}{% endfor %}", {}),
    ("err_syntax_unclosed", "{% if true %}x", {}),
    ("err_syntax_bad_expr", "{{ 1 + }}", {}),
]


TEMPLATES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "testdata", "templates")
# The same text as ChatTemplate.chatMLSource.
CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
# Conversations as an OpenAI client sends them: tool-call arguments are JSON text.
CONVERSATIONS = [
    {"messages": [{"role": "user", "content": "  Hi \u00abthere\u00bb \U0001F44B  "}, {"role": "assistant", "content": "Hello"},
                  {"role": "user", "content": "Weather?"},
                  {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                   "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "sunny"}], "tools": TOOLS},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "part two"}]}]},
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]},
    {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4", "reasoning_content": "add"}]},
]
BOS_EOS = {"Qwen-Qwen2.5-7B-Instruct.jinja": ("", "<|im_end|>"), "google-gemma-2-2b-it.jinja": ("<bos>", "<eos>"),
           "meta-llama-Llama-3.1-8B-Instruct.jinja": ("<|begin_of_text|>", "<|eot_id|>"),
           "meta-llama-Llama-3.2-3B-Instruct.jinja": ("<|begin_of_text|>", "<|eot_id|>"),
           "microsoft-Phi-3.5-mini-instruct.jinja": ("<s>", "<|endoftext|>"), "chatml": ("", ""), "parts": ("", ""), "extra_fields": ("", "")}
# A template that renders content given as a list of parts (as multimodal templates do).
PARTS = ("{% for m in messages %}{{ m.role }}:{% if m.content is string %}{{ m.content }}{% else %}"
         "{% for p in m.content %}[{{ p.type }}:{{ p.text }}]{% endfor %}{% endif %}\n{% endfor %}")


# A template that reads a message field beyond role/content (as Qwen3's does with reasoning_content).
EXTRA = ("{% for m in messages %}{{ m.role }}{% if m.reasoning_content is defined %}({{ m.reasoning_content }}){% endif %}"
         ":{{ m.content }}|{% endfor %}")


def template_messages(messages, parts_as_text):
    """What ChatTemplate documents it passes: arguments parsed from JSON; content parts joined with
    "\\n" for templates that do not render part lists (none of the ones here do)."""
    out = []
    for m in messages:
        m = json.loads(json.dumps(m))
        if isinstance(m.get("content"), list) and parts_as_text:
            m["content"] = "\n".join(p["text"] for p in m["content"] if p["type"] == "text")
        for tc in m.get("tool_calls") or []:
            tc["function"]["arguments"] = json.loads(tc["function"]["arguments"])
        out.append(m)
    return out


def chat_cases():
    cases = []
    for name in sorted(BOS_EOS):
        inline = {"chatml": CHATML, "parts": PARTS, "extra_fields": EXTRA}
        source = inline[name] if name in inline else open(os.path.join(TEMPLATES, name), encoding="utf-8").read()
        bos, eos = BOS_EOS[name]
        for i, conv in enumerate(CONVERSATIONS):
            for agp in (True, False):
                case = {"template": name, "source": source, "conversation": i, "add_generation_prompt": agp, "bos_token": bos, "eos_token": eos}
                try:
                    case["expected"] = env.from_string(source).render(
                        messages=template_messages(conv["messages"], name != "parts"), tools=conv.get("tools"),
                        add_generation_prompt=agp, bos_token=bos, eos_token=eos)
                except Exception as e:  # noqa: BLE001 - the error is the reference
                    case["error_type"] = type(e).__name__
                    case["error"] = str(e)
                cases.append(case)
    return {"conversations": CONVERSATIONS, "cases": cases}


def main():
    out = []
    for name, template, context in CASES:
        case = {"name": name, "template": template, "context": context}
        try:
            case["expected"] = env.from_string(template).render(**context)
        except Exception as e:  # noqa: BLE001 - the error is the reference
            case["error_type"] = type(e).__name__
            case["error"] = str(e)
        out.append(case)
    path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "jinja-reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"jinja2_version": jinja2.__version__, "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(out)} cases to {os.path.normpath(path)}")
    chat = chat_cases()
    path = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "chat-reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(chat, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(chat['cases'])} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
