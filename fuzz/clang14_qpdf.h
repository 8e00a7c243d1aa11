// Forced into every source of certseal_docsign in the fuzz build (fuzz/CMakeLists.txt) when the
// compiler is clang 14: lets qpdf 11's headers compile in C++20.
//
// Why: qpdf/JSON.hh declares, inside class JSON, `struct JSON_array { virtual ~JSON_array() =
// default; std::vector<JSON> elements; }` while JSON is still incomplete. In C++20, libstdc++ 12
// makes ~vector constexpr (_GLIBCXX20_CONSTEXPR), and clang 14 instantiates a referenced constexpr
// function at once, so ~vector<JSON> is instantiated before JSON is complete and fails
// (is_destructible<JSON>). GCC, and clang in C++17, instantiate it at the end of the file, when JSON
// is complete.
//
// What: <vector> (and nothing else) is included first with _GLIBCXX20_CONSTEXPR empty, so
// std::vector's members are ordinary inline functions in these files: same code, only not usable
// in constant expressions (nothing in docsign evaluates a vector at compile time). vector<bool>'s
// __fill_a1 overload is declared constexpr by <bits/stl_algobase.h>; the non-constexpr definition
// in <bits/stl_bvector.h> is renamed so the two do not clash (std::fill over vector<bool> bits is
// then unavailable in these files: a link error, never a silent change).
#pragma once

#include <bits/c++config.h>
#include <bits/stl_algobase.h>
#include <bits/allocator.h>
#include <bits/stl_construct.h>
#include <bits/stl_uninitialized.h>
#include <bits/refwrap.h>
#include <bits/range_access.h>
#undef _GLIBCXX20_CONSTEXPR
#define _GLIBCXX20_CONSTEXPR
#define __fill_a1 certseal_clang14_fill_a1_bvector
#include <vector>
#undef __fill_a1
#undef _GLIBCXX20_CONSTEXPR
#define _GLIBCXX20_CONSTEXPR constexpr
