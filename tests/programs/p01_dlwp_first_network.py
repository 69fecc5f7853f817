# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/chapter02_mathematical-building-blocks.ipynb
# "Deep Learning with Python", 3rd edition, chapter 2: "A first look at a neural network".
# Author: François Chollet. Licence: MIT.
# Cells 6 and 13-21. Changed for the tests: the imports (below), the data (standin.py's
# MNIST stand-in: 6,000 + 1,000 images, so the reshape counts are 6000 and 1000 instead of
# 60000 and 10000), epochs 5 -> 2, `history =` kept from fit, and the last line, which
# reports the key figures. Bare display expressions are left out.
import os
if os.environ.get("REFERENCE"):
    import keras
    from keras import layers
else:
    import fastnn as keras
    from fastnn import layers
from standin import mnist, report

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()

model = keras.Sequential(
    [
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
)

model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)

train_images = train_images.reshape((6000, 28 * 28))
train_images = train_images.astype("float32") / 255
test_images = test_images.reshape((1000, 28 * 28))
test_images = test_images.astype("float32") / 255

history = model.fit(train_images, train_labels, epochs=2, batch_size=128)

test_digits = test_images[0:10]
predictions = model.predict(test_digits)
predictions[0].argmax()

test_loss, test_acc = model.evaluate(test_images, test_labels)
print(f"test_acc: {test_acc}")

report(loss=history.history["loss"][-1], test_loss=test_loss, test_acc=test_acc,
       pred_sum=predictions[0].sum())
